import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './postgres.js'

const template = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url))

/** The nginx binary, or null when nginx is not installed. */
export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' })
      return candidate
    } catch {}
  }
  return null
}

export interface RunningNginx {
  url: string
  stop(): Promise<void>
}

/** Runs deploy/nginx.conf in the foreground with the given backends and a free port. */
export async function startNginx(
  bin: string,
  dir: string,
  backends: string[],
): Promise<RunningNginx> {
  const port = await freePort()
  const [first, second] = backends.map((b) => new URL(b).host)
  const config = readFileSync(template, 'utf8')
    .replace('/run/nginx-portcullis.pid', join(dir, 'nginx.pid'))
    .replace('127.0.0.1:8001', first ?? '')
    .replace('127.0.0.1:8002', second ?? '')
    .replace('127.0.0.1:8000', `127.0.0.1:${port}`)
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, config)
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', file, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`)
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) break
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGQUIT')
      await once(child, 'exit')
    },
  }
}
