import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const serverEntry = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const tsxLoader = import.meta.resolve('tsx')

export interface RunningServer {
  url: string
  child: ChildProcess
  output: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/**
 * Spawns `src/server.ts` as a real process and waits until it listens. With `envFile`, the
 * process reads it as `node --env-file=FILE` does in docs/deployment.md; `env` wins over it.
 */
export async function startServer(
  env: Record<string, string>,
  cwd?: string,
  envFile?: string,
): Promise<RunningServer> {
  const fileArgs = envFile ? [`--env-file=${envFile}`] : []
  const child = spawn(process.execPath, [...fileArgs, '--import', tsxLoader, serverEntry], {
    cwd,
    // Limits and load shedding are off unless a test is about them (set them in `env`): on a
    // busy CI machine a server just started can see a second of event-loop lag and shed.
    env: {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_PORT: '0',
      PORTCULLIS_RATE_LIMITS: 'false',
      PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000)
    const check = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null) return child.exitCode
    child.kill(signal)
    // 'close', not 'exit': the lines the process writes as it exits are then all read.
    const [code] = await once(child, 'close')
    return code as number | null
  }
  return { url, child, output: () => output, stop }
}

/**
 * Runs `src/server.ts` expecting it to exit; returns its exit code and output. A server that
 * starts instead is killed after 20 s (code null), so a test expecting a refusal fails, not hangs.
 */
export async function runServerToExit(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', tsxLoader, serverEntry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const [code] = await once(child, 'close')
  clearTimeout(timer)
  return { code: code as number | null, stderr }
}
