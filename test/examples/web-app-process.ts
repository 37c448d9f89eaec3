import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const entry = fileURLToPath(new URL('../../examples/web-app/server.ts', import.meta.url))

/** The example web app running as its own process. */
export interface WebAppProcess {
  url: string
  child: ChildProcess
  output: () => string
  stop: () => Promise<void>
}

/**
 * Spawns `examples/web-app/server.ts` with `env` (its port must be known in advance: the
 * redirect URI registered at Portcullis names it) and waits until it listens.
 */
export async function startWebApp(env: Record<string, string>): Promise<WebAppProcess> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), entry], {
    env: { PATH: process.env.PATH ?? '', WEBAPP_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (d: Buffer) => {
    output += d
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web app did not start:\n${output}`)), 20_000)
    child.stdout?.on('data', () => {
      const match = /Web app listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`web app exited with ${code}:\n${output}`))
    })
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  return { url, child, output: () => output, stop }
}
