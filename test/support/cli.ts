import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))

export interface CliResult {
  code: number
  /** stdout and stderr interleaved as they arrived. */
  out: string
  stdout: string
  stderr: string
}

/**
 * Runs the `portcullis` CLI as a real process with cheap argon2 settings (tests only) and
 * `stdin` piped in (so never a TTY); returns its exit code and output.
 */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      ...env,
    },
  })
  const result = { out: '', stdout: '', stderr: '' }
  child.stdout.on('data', (d) => {
    result.out += d
    result.stdout += d
  })
  child.stderr.on('data', (d) => {
    result.out += d
    result.stderr += d
  })
  child.stdin.end(stdin)
  const [code] = await once(child, 'exit')
  return { code: code as number, ...result }
}
