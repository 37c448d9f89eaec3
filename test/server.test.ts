import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { PASSWORD } from './helpers.js'
import { freshDatabaseUrl } from './support/engines.js'
import { assertErrorResponse, parseRawResponse } from './support/raw-http.js'
import { runServerToExit, startServer } from './support/server-process.js'

const cheap = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Sends raw bytes and resolves with the raw response (or what arrived before close). */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request))
    let data = ''
    socket.on('data', (d) => {
      data += d
    })
    socket.on('end', () => resolve(data))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    socket.setTimeout(15_000, () => socket.destroy(new Error('timeout')))
  })
}

async function registerAndLogin(url: string, username: string) {
  const reg = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  assert.equal(reg.status, 201)
  const tok = await fetch(`${url}/token`, {
    method: 'POST',
    body: new URLSearchParams({ username, password: PASSWORD }),
  })
  assert.equal(tok.status, 200)
  assert.equal(tok.headers.get('cache-control'), 'no-store')
  return ((await tok.json()) as { access_token: string }).access_token
}

describe('private keys on disk', () => {
  const key = { PORTCULLIS_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64') }

  it('refuses to start on secrets stored in clear once a key is set, in one line naming keys seal', async (t) => {
    const dataDir = tempDir(t)
    const first = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: dataDir })
    assert.equal(await first.stop(), 0)
    const { code, stderr } = await runServerToExit({
      ...cheap,
      ...key,
      PORTCULLIS_DATA_DIR: dataDir,
    })
    assert.equal(code, 1)
    assert.match(
      stderr,
      /^portcullis: cannot open the stored keys: signing_keys\/[\w-]{43} is stored unencrypted although PORTCULLIS_KEY_ENCRYPTION_KEY is set: run `portcullis keys seal`.*\n$/,
    )
  })

  it('starts in production with the explicit opt-out, warning about it and about loose file modes', async (t) => {
    const dataDir = tempDir(t)
    chmodSync(dataDir, 0o755)
    const server = await startServer({
      ...cheap,
      NODE_ENV: 'production',
      PORTCULLIS_ISSUER: 'https://auth.example.test',
      PORTCULLIS_ALLOW_UNENCRYPTED_KEYS: 'true',
      PORTCULLIS_RATE_LIMITS: 'true',
      // No SMTP server here: production refuses the email flows without one.
      PORTCULLIS_EMAIL_FLOWS: 'false',
      PORTCULLIS_DATA_DIR: dataDir,
    })
    t.after(() => server.stop())
    const warnings = server
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":40'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg)
    assert.ok(
      warnings.some((w) =>
        w.startsWith(
          'PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true: private signing keys and server secrets are stored in clear',
        ),
      ),
      warnings.join('\n'),
    )
    assert.ok(
      warnings.includes(
        `${dataDir} is accessible to group or others (mode 0755); it holds private keys: chmod 700 it`,
      ),
      warnings.join('\n'),
    )
    assert.equal((statSync(join(dataDir, 'portcullis.db')).mode & 0o777).toString(8), '600')
  })
})

describe('the server process', () => {
  it('serves register → token → users/me over real HTTP and stores under the data dir', async (t) => {
    const dataDir = tempDir(t)
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: dataDir })
    t.after(() => server.stop())
    const token = await registerAndLogin(server.url, 'alice')
    const me = await fetch(`${server.url}/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(me.status, 200)
    assert.equal(((await me.json()) as { username: string }).username, 'alice')
    assert.ok(existsSync(join(dataDir, 'portcullis.db')))
    assert.ok(!server.output().includes(PASSWORD))
    assert.ok(!server.output().includes(token))
  })

  it('keeps its signing key across restarts: old tokens stay valid', async (t) => {
    const dataDir = tempDir(t)
    const first = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: dataDir })
    const token = await registerAndLogin(first.url, 'alice')
    const jwks = await (await fetch(`${first.url}/.well-known/jwks.json`)).json()
    assert.equal(await first.stop(), 0)
    const second = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: dataDir })
    t.after(() => second.stop())
    assert.deepEqual(await (await fetch(`${second.url}/.well-known/jwks.json`)).json(), jwks)
    const me = await fetch(`${second.url}/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(me.status, 200)
  })

  it('answers two Authorization headers with 400 invalid_request', async (t) => {
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: tempDir(t) })
    t.after(() => server.stop())
    const token = await registerAndLogin(server.url, 'alice')
    const response = await rawRequest(
      server.url,
      `GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer other\r\nConnection: close\r\n\r\n`,
    )
    assert.match(response, /^HTTP\/1\.1 400 /)
    assert.match(response, /"error":"invalid_request"/)
  })

  it('refuses an oversized Authorization header with 431', async (t) => {
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: tempDir(t) })
    t.after(() => server.stop())
    const res = await fetch(`${server.url}/users/me`, {
      headers: { authorization: `Bearer ${'a'.repeat(20_000)}` },
    })
    assert.equal(res.status, 431)
    assert.equal(((await res.json()) as { error: string }).error, 'headers_too_large')
  })

  it('times out a request whose body never finishes', async (t) => {
    const server = await startServer({
      ...cheap,
      PORTCULLIS_DATA_DIR: tempDir(t),
      PORTCULLIS_REQUEST_TIMEOUT_MS: '1000',
    })
    t.after(() => server.stop())
    const started = Date.now()
    const response = await rawRequest(
      server.url,
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a',
    )
    assert.ok(Date.now() - started < 10_000, 'the server gave up on the slow body')
    assertErrorResponse(parseRawResponse(response), 408, 'request_timeout')
  })

  it('reads settings from .env in its working directory', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, '.env'), 'PORTCULLIS_REALM=from-dotenv\n')
    const server = await startServer({ ...cheap }, dir)
    t.after(() => server.stop())
    const res = await fetch(`${server.url}/users/me`)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="from-dotenv"')
    assert.ok(existsSync(join(dir, 'data', 'portcullis.db')), 'default data dir is ./data')
  })

  it('starts on PostgreSQL without PORTCULLIS_ISSUER in development on loopback, warning loudly', async (t) => {
    const { PORTCULLIS_ISSUER: _, ...noIssuer } = cheap
    const server = await startServer({
      ...noIssuer,
      PORTCULLIS_DATABASE_URL: await freshDatabaseUrl(t, 'postgres'),
    })
    assert.equal(await server.stop(), 0)
    assert.match(
      server.output(),
      /"level":40,.*"msg":"PORTCULLIS_ISSUER is not set: using http:\/\/127\.0\.0\.1:0; every instance on one PostgreSQL database needs the same issuer/,
    )
  })

  it('shuts down gracefully on SIGTERM with exit code 0', async (t) => {
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: tempDir(t) })
    assert.equal(await server.stop('SIGTERM'), 0)
    assert.match(server.output(), /shutting down/)
  })

  it('writes a lone log line at the next periodic flush of its batch', async (t) => {
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: tempDir(t) })
    t.after(() => server.stop())
    const accessLine = /"method":"GET","path":"\/healthz","status":200,/
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
    // Far fewer bytes than a batch: only the periodic flush writes the line.
    const deadline = Date.now() + 5_000
    while (!accessLine.test(server.output()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.match(server.output(), accessLine)
  })

  it('writes the lines still in its log batch when it shuts down', async (t) => {
    const server = await startServer({ ...cheap, PORTCULLIS_DATA_DIR: tempDir(t) })
    t.after(() => server.stop())
    assert.equal(await server.stop('SIGTERM'), 0)
    // `stopped` is logged as the process exits, with no timer turn in between: only the exit
    // flush can have written it.
    assert.match(server.output(), /"msg":"shutting down"[\s\S]*"msg":"stopped"\}\n$/)
  })

  for (const [env, pattern] of [
    [
      { PORTCULLIS_PORT: 'eighty' },
      /^portcullis: configuration error: PORTCULLIS_PORT must be an integer from 0 to 65535 \(got "eighty"\)\n$/,
    ],
    [
      { PORTCULLIS_SIGNING_ALG: 'RS256' },
      /PORTCULLIS_SIGNING_ALG must be one of ES256, EdDSA, HS256/,
    ],
    [
      { PORTCULLIS_JWT_ALG: 'HS256', PORTCULLIS_JWT_SECRET: 'your_secret_key' },
      /at least 32 bytes/,
    ],
    [
      {
        PORTCULLIS_JWT_ALG: 'HS256',
        PORTCULLIS_JWT_SECRET: 'your_secret_key_that_is_long_enough_now',
      },
      /looks like a placeholder/,
    ],
    [
      { PORTCULLIS_KEY_ENCRYPTION_KEY: 'c2hvcnQ=' },
      /PORTCULLIS_KEY_ENCRYPTION_KEY must be 32 bytes/,
    ],
    [
      { PORTCULLIS_PASSWORD_MIN_LENGTH: '6' },
      /PORTCULLIS_PASSWORD_MIN_LENGTH must be an integer from 8 to 64/,
    ],
    [{ NODE_ENV: 'production' }, /PORTCULLIS_ISSUER must be set/],
    [{ NODE_ENV: 'production', PORTCULLIS_ISSUER: 'http://auth.example' }, /must be an https URL/],
    [
      { NODE_ENV: 'production', PORTCULLIS_ISSUER: 'https://auth.example' },
      /PORTCULLIS_KEY_ENCRYPTION_KEY must be set when NODE_ENV=production .*PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true/,
    ],
    [
      {
        NODE_ENV: 'production',
        PORTCULLIS_ISSUER: 'https://auth.example',
        PORTCULLIS_RATE_LIMITS: 'false',
        PORTCULLIS_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      },
      /^portcullis: configuration error: PORTCULLIS_RATE_LIMITS=false is refused when NODE_ENV=production/,
    ],
    [
      { PORTCULLIS_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', NODE_ENV: 'test' },
      /^portcullis: configuration error: PORTCULLIS_ISSUER must be set when PORTCULLIS_DATABASE_URL is PostgreSQL/,
    ],
    [
      { PORTCULLIS_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', PORTCULLIS_HOST: '0.0.0.0' },
      /^portcullis: configuration error: PORTCULLIS_ISSUER must be set when PORTCULLIS_DATABASE_URL is PostgreSQL/,
    ],
    [{ PORTCULLIS_REALM: 'a"b, error="x' }, /PORTCULLIS_REALM must be printable ASCII without "/],
    [
      { PORTCULLIS_ARGON2_MEMORY_KIB: '8', PORTCULLIS_ARGON2_PARALLELISM: '4' },
      /PORTCULLIS_ARGON2_MEMORY_KIB must be at least 8 × PORTCULLIS_ARGON2_PARALLELISM/,
    ],
    [{ PORTCULLIS_DATABASE_URL: 'mysql://u:p/w@h/db' }, /PORTCULLIS_DATABASE_URL must be .*\*\*\*/],
    [{ PORTCULLIS_TRUST_PROXY: 'true' }, /PORTCULLIS_TRUST_PROXY no longer accepts "true"/],
    [{ PORTCULLIS_CORS_ORIGINS: 'https://*.example.com' }, /PORTCULLIS_CORS_ORIGINS must be/],
    [
      { PORTCULLIS_HEADERS_TIMEOUT_MS: '20000' },
      /PORTCULLIS_HEADERS_TIMEOUT_MS must not exceed PORTCULLIS_REQUEST_TIMEOUT_MS/,
    ],
  ] as const) {
    it(`refuses to start with ${JSON.stringify(env)}, in one clear line`, async () => {
      const { code, stderr } = await runServerToExit(env)
      assert.equal(code, 1)
      assert.match(stderr, pattern)
      assert.equal(stderr.trim().split('\n').length, 1)
    })
  }
})
