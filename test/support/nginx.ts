import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './postgres.js'

const deployConfig = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url))

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

/**
 * Makes the self-signed certificate for a local trial with the openssl command of
 * docs/deployment.md, writing key.pem and cert.pem into `dir`.
 */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true })
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  return { cert, key }
}

/**
 * A `fetch` for HTTPS that trusts exactly `ca` (the test's own self-signed certificate), so the
 * client checks the certificate as a real one would, instead of turning verification off.
 */
export function fetchTrusting(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input)
    const body = init.body == null ? undefined : String(init.body)
    const headers = new Headers(init.headers)
    if (
      body !== undefined &&
      !headers.has('content-type') &&
      init.body instanceof URLSearchParams
    ) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
    }
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        url,
        { method: init.method ?? 'GET', headers: Object.fromEntries(headers), ca },
        resolve,
      )
      req.on('error', reject)
      req.end(body)
    })
    const chunks: Buffer[] = []
    for await (const chunk of res) chunks.push(chunk as Buffer)
    const status = res.statusCode ?? 0
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of [value ?? []].flat()) responseHeaders.append(name, v)
    }
    const empty = status === 204 || status === 304
    return new Response(empty ? null : Buffer.concat(chunks), { status, headers: responseHeaders })
  }) as typeof fetch
}

export interface RunningNginx {
  /** https://127.0.0.1:PORT, served with the self-signed certificate. */
  url: string
  /** The plain-HTTP address, which only redirects. */
  httpUrl: string
  /** A fetch that trusts the certificate. */
  fetch: typeof fetch
  stop(): Promise<void>
}

/**
 * Runs deploy/nginx.conf as the guide does (`nginx -c FILE`), in the foreground, with free ports
 * for 80 and 443, the given backends for 8001 and 8002, its own pid file and a self-signed
 * certificate made as the guide makes it: nothing else of the file is changed.
 */
export async function startNginx(
  bin: string,
  dir: string,
  backends: string[],
): Promise<RunningNginx> {
  const [httpsPort, httpPort] = [await freePort(), await freePort()]
  const [first, second] = backends.map((b) => new URL(b).host)
  const tls = selfSignedCertificate(join(dir, 'tls'))
  const replacements: [string, string][] = [
    ['/run/nginx-portcullis.pid', join(dir, 'nginx.pid')],
    ['/etc/portcullis/tls/cert.pem', tls.cert],
    ['/etc/portcullis/tls/key.pem', tls.key],
    ['127.0.0.1:8001', first ?? ''],
    ['127.0.0.1:8002', second ?? ''],
    ['listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`],
    ['listen 80;', `listen 127.0.0.1:${httpPort};`],
  ]
  let config = readFileSync(deployConfig, 'utf8')
  for (const [from, to] of replacements) {
    if (!config.includes(from)) throw new Error(`deploy/nginx.conf no longer has ${from}`)
    config = config.replace(from, to)
  }
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
  const url = `https://127.0.0.1:${httpsPort}`
  const trusting = fetchTrusting(readFileSync(tls.cert, 'utf8'))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`)
    const up = await trusting(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) break
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    fetch: trusting,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGQUIT')
      await once(child, 'exit')
    },
  }
}
