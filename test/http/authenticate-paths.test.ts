import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
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
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    assert.equal(inMemory(test, token), false)
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 200)
    assert.equal(inMemory(test, token), true)
    const second = await getMe(test.app, `Bearer ${token}`)
    assertSameAnswer(first, second)
    assert.equal(second.json().username, 'alice')
  })

  it('refuses a disabled user alike both times', async (t) => {
    const test = await buildTestApp(t)
    const { id } = await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    await test.services.store.users.setDisabled(id, true, new Date(test.clock.now()).toISOString())
    assert.equal(inMemory(test, token), false)
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 401)
    assert.equal(first.json().error, 'invalid_token')
    assert.match(first.json().error_description, /disabled/)
    assert.equal(inMemory(test, token), true)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
  })

  it('refuses an ended session alike both times', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    await test.services.sessions.revoke(sessionIdOf(token))
    const first = await getMe(test.app, `Bearer ${token}`)
    assert.equal(first.statusCode, 401)
    assert.match(first.json().error_description, /session of this token has ended/)
    assert.equal(inMemory(test, token), true)
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
  })

  it('refuses a session held in memory once its idle lifetime is over', async (t) => {
    // The access token (15 minutes) outlives the session's idle lifetime (1 minute) here.
    const env = { PORTCULLIS_SESSION_IDLE_TTL: '60', PORTCULLIS_STATUS_CACHE_MS: '60000' }
    const test = await buildTestApp(t, { env })
    await registerUser(test.app, 'alice')
    const token = await login(test.app, 'alice')
    test.clock.advance(30_000)
    assert.equal((await getMe(test.app, `Bearer ${token}`)).statusCode, 200)
    test.clock.advance(30_000)
    assert.equal(inMemory(test, token), true)
    const expired = await getMe(test.app, `Bearer ${token}`)
    assert.equal(expired.statusCode, 401)
    assert.equal(expired.json().error, 'invalid_token')
    assert.match(expired.json().error_description, /session of this token has ended/)
  })

  it('refuses a token without the route scope alike both times (403 naming it)', async (t) => {
    const test = await buildTestApp(t)
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
    assertSameAnswer(first, await getMe(test.app, `Bearer ${token}`))
  })

  it("refuses a client's own token alike both times: it has no session", async (t) => {
    const test = await buildTestApp(t)
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
