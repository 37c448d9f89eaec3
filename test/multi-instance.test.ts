import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import { startNotesApi } from './examples/notes-process.js'
import { PASSWORD } from './helpers.js'
import { runCli } from './support/cli.js'
import { freshDatabaseUrl } from './support/engines.js'
import { findNginx, startNginx } from './support/nginx.js'
import { type RunningServer, startServer } from './support/server-process.js'
import { type SmtpHarness, startSmtp } from './support/smtp.js'

/** The instances' environment files of docs/deployment.md, used as they are. */
const envFiles = [1, 2].map((n) =>
  fileURLToPath(new URL(`../deploy/instance-${n}.env`, import.meta.url)),
)
const deployed = parseEnv(readFileSync(envFiles[0] ?? '', 'utf8'))
const issuer = deployed.PORTCULLIS_ISSUER ?? ''

/**
 * What the test puts in the environment, which wins over the files: a free port, its own
 * database, the key-encryption key the guide generates, and cheap hashing. Production refuses to
 * run without rate limits, so they stay on, raised far above what these tests send.
 */
const cheap = {
  PORTCULLIS_RATE_LIMITS: 'true',
  PORTCULLIS_REGISTER_LIMIT: '1000000',
  PORTCULLIS_REQUEST_LIMIT: '1000000',
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
}

/**
 * Two Portcullis processes started from deploy/instance-{1,2}.env on one PostgreSQL schema,
 * sending mail (production requires SMTP) to a real SMTP server on loopback, over STARTTLS.
 */
async function startPair(
  t: TestContext,
  env: Record<string, string>,
  smtp?: SmtpHarness,
): Promise<[RunningServer, RunningServer]> {
  const mail = (smtp ?? (await startSmtp(t))).serverEnv()
  const [a, b] = await Promise.all(
    envFiles.map((file) => startServer({ ...cheap, ...mail, ...env }, undefined, file)),
  )
  if (!a || !b) throw new Error('two instances expected')
  t.after(() => Promise.all([a.stop(), b.stop()]))
  return [a, b]
}

/** Two instances on a fresh PostgreSQL schema. */
async function twoInstances(t: TestContext): Promise<[RunningServer, RunningServer]> {
  return startPair(t, { PORTCULLIS_DATABASE_URL: await freshDatabaseUrl(t, 'postgres') })
}

async function register(url: string, username: string, http = fetch) {
  const res = await http(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  assert.equal(res.status, 201, await res.clone().text())
  return (await res.json()) as { id: string }
}

async function token(url: string, username: string, http = fetch) {
  const res = await http(`${url}/token`, {
    method: 'POST',
    body: new URLSearchParams({ username, password: PASSWORD }),
  })
  assert.equal(res.status, 200, await res.clone().text())
  return ((await res.json()) as { access_token: string }).access_token
}

async function me(url: string, accessToken: string, http = fetch) {
  const res = await http(`${url}/users/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  return { status: res.status, body: (await res.json()) as { id?: string } }
}

describe('several instances on one PostgreSQL', () => {
  it('share users, tokens and keys: register on A, log in on B, use the token on both', async (t) => {
    const [a, b] = await twoInstances(t)
    const user = await register(a.url, 'alice')
    const fromB = await token(b.url, 'ALICE')
    const fromA = await token(a.url, 'alice')
    for (const [url, accessToken] of [
      [a.url, fromB],
      [b.url, fromA],
      [b.url, fromB],
    ] as const) {
      const res = await me(url, accessToken)
      assert.equal(res.status, 200)
      assert.equal(res.body.id, user.id)
    }
    const [jwksA, jwksB] = await Promise.all(
      [a.url, b.url].map(async (u) => (await fetch(`${u}/.well-known/jwks.json`)).json()),
    )
    assert.deepEqual(jwksA, jwksB)
    assert.equal(
      (jwksA as { keys: unknown[] }).keys.length,
      1,
      'instances started together made one key',
    )
  })

  it('send each message of the shared outbox once, from either instance, over STARTTLS', async (t) => {
    const url = await freshDatabaseUrl(t, 'postgres')
    const smtp = await startSmtp(t)
    const [a, b] = await startPair(
      t,
      { PORTCULLIS_DATABASE_URL: url, PORTCULLIS_MAIL_POLL_SECONDS: '1' },
      smtp,
    )
    const res = await fetch(`${a.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mia', password: PASSWORD, email: 'mia@example.com' }),
    })
    assert.equal(res.status, 201, await res.text())
    const forgot = await fetch(`${b.url}/password/forgot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'mia@example.com' }),
    })
    assert.equal(forgot.status, 202)
    const received = await smtp.waitForMessages(2)
    assert.deepEqual(received.map((m) => m.subject).sort(), [
      'Confirm your email address for Portcullis',
      'Reset your Portcullis password',
    ])
    assert.ok(
      received.every((m) => m.secure),
      'delivered over TLS',
    )
    // Both are recorded as sent, so neither instance can claim them again: no duplicate.
    const status = await runCli(['mail', 'status', '--json'], {
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_KEY_ENCRYPTION_KEY: cheap.PORTCULLIS_KEY_ENCRYPTION_KEY,
    })
    assert.equal(status.code, 0, status.out)
    const counts = JSON.parse(status.out) as { pending: number; sent: number; failed: number }
    assert.deepEqual([counts.pending, counts.sent, counts.failed], [0, 2, 0])
    assert.equal(smtp.messages.length, 2)
  })

  it('refuse a user disabled through the CLI on every instance at once', async (t) => {
    const url = await freshDatabaseUrl(t, 'postgres')
    const [a, b] = await startPair(t, { PORTCULLIS_DATABASE_URL: url })
    await register(a.url, 'carol')
    const accessToken = await token(b.url, 'carol')
    assert.equal((await me(a.url, accessToken)).status, 200)
    assert.equal((await me(b.url, accessToken)).status, 200)
    const disabled = await runCli(['disable-user', '--username', 'carol'], {
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_KEY_ENCRYPTION_KEY: cheap.PORTCULLIS_KEY_ENCRYPTION_KEY,
    })
    assert.equal(disabled.code, 0, disabled.out)
    assert.equal((await me(a.url, accessToken)).status, 401)
    assert.equal((await me(b.url, accessToken)).status, 401)
  })

  it('share sessions: logout on A ends the token on B; refresh on B; reuse on A revokes everywhere', async (t) => {
    const [a, b] = await twoInstances(t)
    await register(a.url, 'dora')
    const login = async (url: string) => {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'dora', password: PASSWORD }),
      })
      return (await res.json()) as { access_token: string; refresh_token: string }
    }
    const refresh = (url: string, refreshToken: string) =>
      fetch(`${url}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      })

    const first = await login(a.url)
    assert.equal((await me(b.url, first.access_token)).status, 200)
    const out = await fetch(`${a.url}/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.access_token}` },
    })
    assert.equal(out.status, 204)
    assert.equal((await me(b.url, first.access_token)).status, 401, 'ended on B at once')

    const second = await login(a.url)
    const rotated = await refresh(b.url, second.refresh_token)
    assert.equal(rotated.status, 200, 'a refresh token from A rotates on B')
    const next = (await rotated.json()) as { access_token: string; refresh_token: string }
    assert.equal((await me(a.url, next.access_token)).status, 200)

    const reused = await refresh(a.url, second.refresh_token)
    assert.equal(reused.status, 400)
    assert.equal(((await reused.json()) as { error: string }).error, 'invalid_grant')
    for (const url of [a.url, b.url]) {
      assert.equal(
        (await me(url, next.access_token)).status,
        401,
        'the family is revoked everywhere',
      )
      assert.equal((await refresh(url, next.refresh_token)).status, 400)
    }
  })

  it('publish a rotated key on every instance before either signs with it', async (t) => {
    const url = await freshDatabaseUrl(t, 'postgres')
    const [a, b] = await startPair(t, {
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_KEY_RELOAD_SECONDS: '1',
      PORTCULLIS_SCOPES: 'profile notes:read notes:write',
    })
    // The example resource server trusts them through A's JWKS only.
    const notes = await startNotesApi({
      PORTCULLIS_ISSUER: issuer,
      NOTES_AUDIENCE: issuer,
      PORTCULLIS_JWKS_URL: `${a.url}/.well-known/jwks.json`,
      NOTES_JWKS_COOLDOWN_SECONDS: '1',
    })
    t.after(() => notes.stop())
    const readNotes = async (accessToken: string) =>
      (await fetch(`${notes.url}/notes`, { headers: { authorization: `Bearer ${accessToken}` } }))
        .status
    await register(a.url, 'erin')
    const before = await token(a.url, 'erin')
    const kidOf = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()).kid
    const oldKid = kidOf(before)
    const rotated = await runCli(['keys', 'rotate', '--activate-in', '5'], {
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_KEY_ENCRYPTION_KEY: cheap.PORTCULLIS_KEY_ENCRYPTION_KEY,
    })
    assert.equal(rotated.code, 0, rotated.out)
    const newKid = rotated.out.split('\n')[0] ?? ''
    const published = async (base: string) =>
      (
        (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
      ).keys
        .map((k) => k.kid)
        .includes(newKid)
    const deadline = Date.now() + 4000
    while (!((await published(a.url)) && (await published(b.url)))) {
      assert.ok(
        Date.now() < deadline,
        'both instances publish the new key within the reload interval',
      )
      await new Promise((r) => setTimeout(r, 100))
    }
    // Published everywhere, and still not signing anywhere.
    assert.equal(kidOf(await token(a.url, 'erin')), oldKid)
    assert.equal(kidOf(await token(b.url, 'erin')), oldKid)
    const later = Date.now() + 15_000
    let signedByNew = false
    while (!signedByNew) {
      assert.ok(Date.now() < later, 'the new key signs after its activation time')
      await new Promise((r) => setTimeout(r, 200))
      signedByNew =
        kidOf(await token(b.url, 'erin')) === newKid && kidOf(await token(a.url, 'erin')) === newKid
    }
    for (const base of [a.url, b.url])
      assert.equal((await me(base, before)).status, 200, 'old tokens still work')
    assert.equal(
      await readNotes(before),
      200,
      'the old token still verifies at the resource server',
    )
    for (const base of [a.url, b.url]) {
      assert.equal(
        await readNotes(await token(base, 'erin')),
        200,
        'new tokens from either instance verify there',
      )
    }
  })

  it('share login limits: alternating between instances does not double the allowance', async (t) => {
    const url = await freshDatabaseUrl(t, 'postgres')
    const [a, b] = await startPair(t, {
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_RATE_LIMITS: 'true',
    })
    await register(a.url, 'frank')
    const attempt = async (base: string, password: string) =>
      (
        await fetch(`${base}/token`, {
          method: 'POST',
          body: new URLSearchParams({ username: 'frank', password }),
        })
      ).status
    const statuses: number[] = []
    for (let i = 0; i < 5; i++)
      statuses.push(await attempt(i % 2 ? b.url : a.url, 'wrong password guess'))
    assert.deepEqual(statuses, [400, 400, 400, 400, 400])
    assert.equal(
      await attempt(b.url, 'wrong password guess'),
      429,
      'the sixth failure is delayed on B too',
    )
    assert.equal(await attempt(a.url, PASSWORD), 429, 'and on A, even with the right password')
  })

  it('see a registration race between instances end with exactly one winner', async (t) => {
    const [a, b] = await twoInstances(t)
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`${i % 2 ? a.url : b.url}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: `race${round}`, password: PASSWORD }),
          }).then((r) => r.status),
        ),
      )
      assert.deepEqual(results.sort(), [201, 409, 409, 409, 409, 409, 409, 409])
    }
  })

  it('serve over TLS behind nginx with deploy/nginx.conf, in production mode, as the guide says', async (t) => {
    const nginx = findNginx()
    if (!nginx) {
      t.skip('nginx is not installed (.ci/run installs it)')
      return
    }
    const [a, b] = await twoInstances(t)
    // Production refuses an issuer that is not https, so the tokens' iss below proves both.
    assert.equal(deployed.NODE_ENV, 'production')
    assert.match(issuer, /^https:\/\//)
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-nginx-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const lb = await startNginx(nginx, dir, [a.url, b.url])
    t.after(() => lb.stop())
    const user = await register(lb.url, 'bob', lb.fetch)
    // Five at once at most: the login throttle lets no more than PORTCULLIS_LOGIN_DELAY_AFTER (5)
    // attempts of one account from one address run together (a sixth racing them is refused
    // before its password is checked, by design), and behind nginx every login has its address.
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => token(lb.url, 'bob', lb.fetch)),
    )
    for (const accessToken of tokens) {
      for (const [url, http] of [
        [lb.url, lb.fetch],
        [a.url, fetch],
        [b.url, fetch],
      ] as const) {
        const res = await me(url, accessToken, http)
        assert.equal(res.status, 200)
        assert.equal(res.body.id, user.id)
      }
      const claims = JSON.parse(
        Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString(),
      )
      assert.equal(claims.iss, issuer, 'the https issuer of deploy/instance-*.env')
    }
    const viaTls = await lb.fetch(`${lb.url}/.well-known/jwks.json`)
    assert.equal(viaTls.headers.get('strict-transport-security'), 'max-age=63072000')
    assert.deepEqual(
      await viaTls.json(),
      await (await fetch(`${a.url}/.well-known/jwks.json`)).json(),
    )
    const plain = await fetch(`${lb.httpUrl}/token`, { redirect: 'manual' })
    assert.equal(plain.status, 301, 'plain HTTP only redirects')
    assert.match(plain.headers.get('location') ?? '', /^https:\/\/127\.0\.0\.1(:\d+)?\/token$/)
    // A client that does not trust the certificate is refused: TLS really is checked.
    await assert.rejects(fetch(`${lb.url}/healthz`))
  })
})
