import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { type RunningServer, startServer } from '../support/server-process.js'
import { type NotesProcess, startNotesApi } from './notes-process.js'

const ISSUER = 'http://portcullis.test'
const AUDIENCE = 'notes-api'

/** Polls a real process until `probe` resolves truthy; the only waiting these tests do. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('the notes API example with Portcullis, as real processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-notes-'))
  const portcullisEnv = {
    PORTCULLIS_ARGON2_MEMORY_KIB: '256',
    PORTCULLIS_ARGON2_ITERATIONS: '1',
    PORTCULLIS_ISSUER: ISSUER,
    PORTCULLIS_AUDIENCE: AUDIENCE,
    PORTCULLIS_SCOPES: 'profile email notes:read notes:write',
    PORTCULLIS_DEFAULT_SCOPES: 'profile notes:read notes:write',
    PORTCULLIS_KEY_RELOAD_SECONDS: '1',
    PORTCULLIS_DATA_DIR: dataDir,
  }
  let portcullis: RunningServer
  let notes: NotesProcess
  const stops: (() => Promise<unknown>)[] = []

  before(async () => {
    portcullis = await startServer(portcullisEnv)
    stops.push(() => portcullis.stop())
    notes = await startNotesApi({
      PORTCULLIS_ISSUER: ISSUER,
      NOTES_AUDIENCE: AUDIENCE,
      PORTCULLIS_JWKS_URL: `${portcullis.url}/.well-known/jwks.json`,
      NOTES_JWKS_COOLDOWN_SECONDS: '1',
    })
    stops.push(() => notes.stop())
    for (const username of ['alice', 'bob']) {
      const res = await fetch(`${portcullis.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      })
      assert.equal(res.status, 201, await res.text())
    }
  })

  after(async () => {
    for (const stop of stops.reverse()) await stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function login(username: string, scope?: string, server = portcullis): Promise<string> {
    const form = new URLSearchParams({ username, password: PASSWORD })
    if (scope !== undefined) form.set('scope', scope)
    const res = await fetch(`${server.url}/token`, { method: 'POST', body: form })
    assert.equal(res.status, 200, await res.clone().text())
    return ((await res.json()) as { access_token: string }).access_token
  }

  function call(token: string | undefined, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = {}
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${notes.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  }

  async function createNote(token: string, title: string) {
    const res = await call(token, 'POST', '/notes', { title, body: `${title} body` })
    assert.equal(res.status, 201, await res.clone().text())
    return (await res.json()) as { id: string; title: string; body: string }
  }

  it("serves a user's notes: create, list, read, update, delete", async () => {
    const token = await login('alice')
    const note = await createNote(token, 'groceries')
    const list = await call(token, 'GET', '/notes')
    assert.equal(list.status, 200)
    assert.deepEqual(
      ((await list.json()) as { notes: { id: string }[] }).notes.map((n) => n.id),
      [note.id],
    )
    const read = await call(token, 'GET', `/notes/${note.id}`)
    assert.equal(read.status, 200)
    assert.equal(((await read.json()) as { title: string }).title, 'groceries')
    const put = await call(token, 'PUT', `/notes/${note.id}`, { title: 'shopping', body: 'milk' })
    assert.equal(put.status, 200)
    assert.equal(((await put.json()) as { body: string }).body, 'milk')
    assert.equal((await call(token, 'DELETE', `/notes/${note.id}`)).status, 204)
    assert.equal((await call(token, 'GET', `/notes/${note.id}`)).status, 404)
    const invalid = await call(token, 'POST', '/notes', { title: '', body: 'x', extra: 1 })
    assert.equal(invalid.status, 400)
  })

  it("answers 404 for another user's note exactly as for an unknown id, and changes nothing", async () => {
    const alice = await login('alice')
    const bob = await login('bob')
    const note = await createNote(alice, 'private')
    const unknown = await call(bob, 'GET', '/notes/00000000-0000-4000-8000-000000000000')
    const unknownBody = await unknown.json()
    assert.equal(unknown.status, 404)
    const attempts = [
      await call(bob, 'GET', `/notes/${note.id}`),
      await call(bob, 'PUT', `/notes/${note.id}`, { title: 'pwned', body: 'pwned' }),
      await call(bob, 'DELETE', `/notes/${note.id}`),
    ]
    for (const res of attempts) {
      assert.equal(res.status, 404)
      const text = await res.text()
      assert.deepEqual(JSON.parse(text), unknownBody)
      assert.ok(!text.includes('private'))
    }
    const bobs = (await (await call(bob, 'GET', '/notes')).json()) as { notes: unknown[] }
    assert.deepEqual(bobs.notes, [])
    const still = await call(alice, 'GET', `/notes/${note.id}`)
    assert.equal(still.status, 200)
    assert.equal(((await still.json()) as { title: string }).title, 'private')
  })

  it('answers 403 insufficient_scope when a scope is missing', async () => {
    const reader = await login('alice', 'notes:read')
    assert.equal((await call(reader, 'GET', '/notes')).status, 200)
    const res = await call(reader, 'POST', '/notes', { title: 'x', body: 'y' })
    assert.equal(res.status, 403)
    assert.match(
      res.headers.get('www-authenticate') ?? '',
      /^Bearer realm="notes-api", error="insufficient_scope", .*scope="notes:write"$/,
    )
    assert.equal(((await res.json()) as { error: string }).error, 'insufficient_scope')
    const profileOnly = await login('alice', 'profile')
    assert.equal((await call(profileOnly, 'GET', '/notes')).status, 403)
  })

  /** Registers a confidential client with the CLI and returns a client_credentials token. */
  async function machineToken(id: string, scopes: string): Promise<string> {
    const created = await runCli(
      [
        'clients',
        'create',
        '--id',
        id,
        '--name',
        id,
        '--grant-types',
        'client_credentials',
        '--scopes',
        scopes,
      ],
      portcullisEnv,
    )
    assert.equal(created.code, 0, created.out)
    const secret = /client_secret: (\S+)/.exec(created.stdout)?.[1]
    assert.ok(secret, `clients create printed no secret:\n${created.out}`)
    const res = await fetch(`${portcullis.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    assert.equal(res.status, 200, await res.clone().text())
    return ((await res.json()) as { access_token: string }).access_token
  }

  it('refuses a client_credentials token on every notes route and files no note under it', async () => {
    const machine = await machineToken('notes-bot', 'notes:read notes:write')
    const stats = async (res: Response) => {
      assert.equal(res.status, 200, await res.clone().text())
      return (await res.json()) as { owners: number; notes: number }
    }
    // Totals before; read after the refusals below, which are the point of this test.
    const before = await call(machine, 'GET', '/stats')
    // A user with no notes yet, so that the totals below are exact.
    const registered = await fetch(`${portcullis.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: PASSWORD }),
    })
    assert.equal(registered.status, 201)
    const carol = await login('carol')
    const note = await createNote(carol, 'mine')
    const attempts = [
      await call(machine, 'POST', '/notes', { title: 'bot', body: 'filed under a client' }),
      await call(machine, 'GET', '/notes'),
      await call(machine, 'GET', `/notes/${note.id}`),
      await call(machine, 'PUT', `/notes/${note.id}`, { title: 'bot', body: 'bot' }),
      await call(machine, 'DELETE', `/notes/${note.id}`),
    ]
    for (const res of attempts) {
      assert.equal(res.status, 401)
      assert.equal(
        res.headers.get('www-authenticate'),
        'Bearer realm="notes-api", error="invalid_token", error_description="this endpoint needs a user\'s access token"',
      )
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_token')
    }
    // Only carol's note was added; the client owns nothing, and carol's note is untouched.
    const { owners, notes: count } = await stats(before)
    assert.deepEqual(await stats(await call(machine, 'GET', '/stats')), {
      owners: owners + 1,
      notes: count + 1,
    })
    const still = await call(carol, 'GET', `/notes/${note.id}`)
    assert.equal(((await still.json()) as { title: string }).title, 'mine')
  })

  it('serves GET /stats to a reporting client only: a user token is refused there', async () => {
    const reporter = await machineToken('reports', 'notes:read')
    const res = await call(reporter, 'GET', '/stats')
    assert.equal(res.status, 200)
    const body = (await res.json()) as { owners: number; notes: number }
    assert.deepEqual(Object.keys(body).sort(), ['notes', 'owners'])
    const user = await call(await login('alice'), 'GET', '/stats')
    assert.equal(user.status, 401)
    assert.match(user.headers.get('www-authenticate') ?? '', /needs a client's access token/)
    assert.equal((await call(undefined, 'GET', '/stats')).status, 401)
  })

  it('answers 401 without a token, and for unknown-key and HS256-forged tokens', async () => {
    const none = await call(undefined, 'GET', '/notes')
    assert.equal(none.status, 401)
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="notes-api"')

    const real = decodeProtectedHeader(await login('alice'))
    const claims = {
      sub: 'x',
      client_id: 'portcullis',
      scope: 'notes:read',
      jti: 'j',
      sid: 's',
    }
    const stranger = await generateKeyPair('ES256')
    const unknownKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'A'.repeat(43) })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger.privateKey)
    const jwks = (await (await fetch(`${portcullis.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[]
    }
    const publicJwk = jwks.keys.find((k) => k.kid === real.kid)
    assert.ok(publicJwk)
    const now = Math.floor(Date.now() / 1000)
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: real.kid })}.${b64({
      ...claims,
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + 300,
    })}`
    const forged = `${input}.${createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url')}`
    for (const token of [unknownKey, forged, `${input}.`]) {
      const res = await call(token, 'GET', '/notes')
      assert.equal(res.status, 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    }
  })

  it('answers 401 for a token Portcullis issued for another audience', async () => {
    // A second Portcullis on the same database (same keys, same users), another audience.
    const other = await startServer({ ...portcullisEnv, PORTCULLIS_AUDIENCE: 'other-api' })
    stops.push(() => other.stop())
    const token = await login('alice', undefined, other)
    const res = await call(token, 'GET', '/notes')
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token".* aud claim/)
    await other.stop()
  })

  it('keeps old tokens and accepts new ones after keys rotate, without a restart', async () => {
    const pid = notes.child.pid
    const oldToken = await login('alice')
    const oldKid = decodeProtectedHeader(oldToken).kid
    assert.equal((await call(oldToken, 'GET', '/notes')).status, 200)

    const rotated = await runCli(['keys', 'rotate', '--activate-in', '0'], {
      PORTCULLIS_DATA_DIR: dataDir,
    })
    assert.equal(rotated.code, 0, rotated.out)
    const newKid = /[A-Za-z0-9_-]{43}/.exec(rotated.out)?.[0]
    assert.ok(newKid, `keys rotate printed no kid:\n${rotated.out}`)
    assert.notEqual(newKid, oldKid)

    const newToken = await eventually(async () => {
      const token = await login('alice')
      return decodeProtectedHeader(token).kid === newKid ? token : undefined
    }, 'Portcullis to sign with the new key')
    await eventually(
      async () => ((await call(newToken, 'GET', '/notes')).status === 200 ? true : undefined),
      'the notes API to accept a token of the new key',
    )
    assert.equal((await call(oldToken, 'GET', '/notes')).status, 200)
    assert.equal(notes.child.pid, pid)
    assert.equal(notes.child.exitCode, null)
  })
})
