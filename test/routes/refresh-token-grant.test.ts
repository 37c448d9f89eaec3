import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  basic,
  buildTestApp,
  createClient,
  getMe,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'

function introspect(test: TestApp, token: string, authorization: string) {
  return test.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    payload: new URLSearchParams({ token }).toString(),
  })
}

describe('refresh tokens only for clients with the refresh_token grant', () => {
  it('logs a password-only client in without a refresh token, and keeps its session working', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const resource = await createClient(test, {
      id: 'resource-server',
      grantTypes: ['client_credentials'],
      scopes: [],
      introspect: true,
    })
    const auth = basic(resource.client.id, resource.secret ?? '')
    await createClient(test, {
      id: 'password-only',
      confidential: false,
      grantTypes: ['password'],
      scopes: ['profile'],
    })
    const before = (await test.services.store.counts()).refresh_tokens
    const res = await postToken(test.app, {
      username: 'alice',
      password: PASSWORD,
      client_id: 'password-only',
    })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal('refresh_token' in body, false, 'no refresh token in the response')
    assert.equal(
      (await test.services.store.counts()).refresh_tokens,
      before,
      'no refresh token stored',
    )
    // The session (the access token's sid) works as before.
    assert.equal((await getMe(test.app, `Bearer ${body.access_token}`)).statusCode, 200)
    const active = await introspect(test, body.access_token, auth)
    assert.equal(active.json().active, true)
    assert.equal(typeof active.json().sid, 'string')
    // With nothing to refresh it, the session ends with its access token, not 14 days later.
    const session = await test.services.store.sessions.findById(active.json().sid)
    assert.equal(
      session?.idleExpiresAt,
      new Date(test.clock.now() + test.services.config.tokens.ttlSeconds * 1000).toISOString(),
    )

    await createClient(test, {
      id: 'with-refresh',
      confidential: false,
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile'],
    })
    const full = await postToken(test.app, {
      username: 'alice',
      password: PASSWORD,
      client_id: 'with-refresh',
    })
    assert.equal(full.statusCode, 200)
    assert.equal(typeof full.json().refresh_token, 'string')
    assert.equal((await introspect(test, full.json().refresh_token, auth)).json().active, true)
  })
})
