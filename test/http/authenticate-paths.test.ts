import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { decodeJwt } from 'jose'
import {
  buildTestApp,
  createClient,
  getMe,
  login,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'

// The token check runs synchronously when the token and its session are both in memory, and
// with awaited lookups otherwise. Each case here is answered once from the store and then again
// from memory, and both answers must be the same.

const sessionIdOf = (token: string) => decodeJwt(token).sid as string

/**
 * A fresh app whose status cache is serving: on PostgreSQL it serves nothing until its feed of
 * changes listens (SQLite has no feed).
 */
async function servingApp(t: TestContext, env?: Record<string, string>) {
  const test = await buildTestApp(t, { env })
  const changes = test.services.store.statusChanges
  for (let i = 0; i < 500 && changes && !changes.listening; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.equal(changes?.listening ?? true, true, 'the status feed listens')
  return test
}

/** Counts the session lookups that reach the store (through the status cache) from now on. */
const storeLookups = (t: TestContext, { services }: TestApp) =>
  t.mock.method(services.store.sessions, 'findWithUser').mock

/** Whether the next check of this session is answered from memory. */
const inMemory = ({ services }: TestApp, token: string) =>
  services.sessions.cachedWithUser(sessionIdOf(token)) !== undefined

function assertSameAnswer(first: LightMyRequestResponse, second: LightMyRequestResponse) {
  assert.equal(second.statusCode, first.statusCode)
  assert.equal(second.body, first.body)
  assert.equal(second.headers['www-authenticate'], first.headers['www-authenticate'])
}

describe('the token check, from the store and from memory', () => {
  it('serves a live session from memory after its first request', async (t) => {
    const test = await servingApp(t)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    assert.equal(inMemory(test, token), false)
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 200)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    const second = await getMe(test.app, `Bearer ${token}`)
    assertSameAnswer(first, second)
    assert.equal(second.json().username, 'alice')
    assert.equal(lookups.callCount(), 0, 'the second check asked the store nothing')
  })

  it('refuses a disabled user alike both times', async (t) => {
    const test = await servingApp(t)
    const { id } = await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    await test.services.store.users.setDisabled(id, true, new Date(test.clock.now()).toISOString())
    assert.equal(inMemory(test, token), false)
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 401)
    assert.equal(first.json().error, 'invalid_token')
    assert.match(first.json().error_description, /disabled/)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
    assert.equal(lookups.callCount(), 0)
  })

  it('refuses an ended session alike both times', async (t) => {
    const test = await servingApp(t)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    await test.services.sessions.revoke(sessionIdOf(token))
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 401)
    assert.match(first.json().error_description, /session of this token has ended/)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
    assert.equal(lookups.callCount(), 0)
  })

  it('refuses a session held in memory once its idle lifetime is over', async (t) => {
    // The access token (15 minutes) outlives the session's idle lifetime (1 minute) here.
    const env = { PORTCULLIS_SESSION_IDLE_TTL: '60', PORTCULLIS_STATUS_CACHE_MS: '60000' }
    const test = await servingApp(t, env)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    test.clock.advance(30_000)
    assert.equal((await getMe(test.app, `Bearer ${token}`)).statusCode, 200)
    test.clock.advance(30_000)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    const expired = await getMe(test.app, `Bearer ${token}`)
    assert.equal(lookups.callCount(), 0)
    assert.equal(expired.statusCode, 401)
    assert.equal(expired.json().error, 'invalid_token')
    assert.match(expired.json().error_description, /session of this token has ended/)
  })

  it('refuses a token without the route scope alike both times (403 naming it)', async (t) => {
    const test = await servingApp(t)
    await registerUser(test.app, 'alice')
    const res = await postToken(test.app, {
      username: 'alice',
      password: PASSWORD,
      scope: 'sessions',
    })
    assert.equal(res.statusCode, 200)
    const token = res.json().access_token as string
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 403)
    assert.equal(first.json().error, 'insufficient_scope')
    assert.match(String(first.headers['www-authenticate']), /scope="profile"/)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
    assert.equal(lookups.callCount(), 0)
  })

  it("refuses a scope the user's roles no longer grant alike both times (403)", async (t) => {
    const test = await servingApp(t)
    const { id } = await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    // A role no table lists grants nothing.
    await test.services.store.users.setRoles(
      id,
      ['guest'],
      new Date(test.clock.now()).toISOString(),
    )
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 403)
    assert.match(first.json().error_description, /roles no longer grant the scope profile/)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
    assert.equal(lookups.callCount(), 0)
  })

  it('asks the store on a step-up route even when the session is in memory', async (t) => {
    const test = await servingApp(t)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    assert.equal((await getMe(test.app, `Bearer ${token}`)).statusCode, 200)
    assert.equal(inMemory(test, token), true)
    const lookups = storeLookups(t, test)
    // A wrong current password: past the token and step-up checks, the handler answers 400.
    const res = await test.app.inject({
      method: 'PUT',
      url: '/users/me/password',
      headers: { authorization: `Bearer ${token}` },
      payload: { current_password: 'not the password', new_password: 'another long passphrase' },
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
    assert.equal(lookups.callCount(), 1)
  })

  it("refuses a client's own token alike both times: it has no session", async (t) => {
    const test = await servingApp(t)
    const { client, secret } = await createClient(test, { scopes: ['email'] })
    const res = await postToken(test.app, {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: secret ?? '',
    })
    assert.equal(res.statusCode, 200)
    const authorization = `Bearer ${res.json().access_token}`
    const first = await getMe(test.app, authorization)
    assert.equal(first.statusCode, 401)
    assert.match(first.json().error_description, /needs a user's access token/)
    assertSameAnswer(first, await getMe(test.app, authorization))
  })
})

describe('every protected operation', () => {
  it('refuses a request without a token with 401 and the Bearer challenge (HEAD included)', async (t) => {
    const { app } = await servingApp(t)
    const doc = (await app.inject('/openapi.json')).json() as {
      paths: Record<
        string,
        Record<string, { security?: Record<string, string[]>[]; requestBody?: unknown }>
      >
    }
    // Operations with a body are validated before any preHandler runs (Fastify's lifecycle), so
    // those without one are asked: each must be refused by the token check itself.
    const asked: string[] = []
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const bearer = operation.security?.some((s) => 'OAuth2PasswordBearer' in s)
        if (!bearer || operation.requestBody !== undefined) continue
        const url = path.replace(/\{[^}]+\}/g, 'x')
        for (const verb of method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()]) {
          const res = await app.inject({ method: verb as 'GET', url })
          assert.equal(res.statusCode, 401, `${verb} ${path}`)
          assert.match(String(res.headers['www-authenticate']), /^Bearer realm=/, `${verb} ${path}`)
          asked.push(`${verb} ${path}`)
        }
      }
    }
    assert.ok(asked.includes('GET /users/me') && asked.includes('HEAD /users/me'))
    assert.ok(
      asked.some((op) => op.startsWith('GET /admin/')),
      'admin operations are asked',
    )
    assert.ok(asked.length >= 20, `${asked.length} operations asked`)
  })
})
