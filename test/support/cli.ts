import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))

/** Runs the `portcullis` CLI as a real process; returns its exit code and combined output. */
export async function runCli(args: string[], env: Record<string, string>, stdin = '') {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      ...env,
    },
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    out += d
  })
  child.stdin.end(stdin)
  const [code] = await once(child, 'exit')
  return { code: code as number, out }
}
