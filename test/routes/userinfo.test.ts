import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, login, registerUser, type TestApp } from '../helpers.js'

/** An access token of a fresh session with `scope`, as the code flow issues them. */
async function tokenWith({ services }: TestApp, userId: string, scope: string) {
  const clientId = services.config.clients.builtinId
  const meta = { ip: '127.0.0.1', userAgent: null }
  const { session } = await services.sessions.start(userId, clientId, scope, meta)
  return (await services.tokens.issue(userId, clientId, scope, session)).token
}

function userinfo(app: FastifyInstance, method: 'GET' | 'POST', token?: string) {
  return app.inject({
    method,
    url: '/userinfo',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
}

describe('GET and POST /userinfo', () => {
  for (const method of ['GET', 'POST'] as const) {
    it(`${method}: openid alone releases sub only, never cached`, async (t) => {
      const test = await buildTestApp(t)
      const user = await registerUser(test.app, 'ada', undefined, { email: 'ada@example.com' })
      const res = await userinfo(test.app, method, await tokenWith(test, user.id, 'openid'))
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['cache-control'], 'no-store')
      assert.deepEqual(res.json(), { sub: user.id })
    })
  }

  it('profile and email release their claims', async (t) => {
    const test = await buildTestApp(t)
    const user = await registerUser(test.app, 'ada', undefined, {
      email: 'ada@example.com',
      full_name: 'Ada Lovelace',
    })
    const token = await tokenWith(test, user.id, 'openid profile email')
    const res = await userinfo(test.app, 'GET', token)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      sub: user.id,
      preferred_username: 'ada',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      email_verified: false,
    })
    await test.services.store.users.setEmailVerified(user.id, true, new Date().toISOString())
    assert.equal((await userinfo(test.app, 'POST', token)).json().email_verified, true)
  })

  it('omits name and email when the user has none', async (t) => {
    const test = await buildTestApp(t)
    const user = await registerUser(test.app, 'bob')
    const res = await userinfo(
      test.app,
      'GET',
      await tokenWith(test, user.id, 'openid profile email'),
    )
    assert.deepEqual(res.json(), { sub: user.id, preferred_username: 'bob' })
  })

  it('refuses a token without openid: 403 insufficient_scope with the challenge', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'ada')
    const res = await userinfo(test.app, 'GET', await login(test.app, 'ada'))
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'insufficient_scope')
    assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="insufficient_scope"/)
    assert.match(String(res.headers['www-authenticate']), /scope="openid"/)
  })

  it('refuses no token (401 challenge) and a revoked session (401 invalid_token)', async (t) => {
    const test = await buildTestApp(t)
    const user = await registerUser(test.app, 'ada')
    const none = await userinfo(test.app, 'GET')
    assert.equal(none.statusCode, 401)
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm=/)
    const token = await tokenWith(test, user.id, 'openid profile')
    await test.services.sessions.revokeAll(user.id)
    const res = await userinfo(test.app, 'GET', token)
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error, 'invalid_token')
  })

  it('drops profile claims when a role change took the profile scope away', async (t) => {
    const test = await buildTestApp(t, {
      env: { PORTCULLIS_ROLES: 'user=sessions;admin=profile sessions admin email' },
    })
    const user = await registerUser(test.app, 'ada')
    const res = await userinfo(test.app, 'GET', await tokenWith(test, user.id, 'openid profile'))
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { sub: user.id })
  })
})
