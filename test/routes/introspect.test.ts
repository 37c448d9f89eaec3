import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  adminLogin,
  basic,
  buildTestApp,
  createClient,
  ISSUER,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const test = await buildTestApp(t, { env })
  const { client, secret } = await createClient(test, {
    id: 'resource-server',
    grantTypes: ['client_credentials'],
    scopes: [],
    introspect: true,
  })
  const auth = basic(client.id, secret ?? '')
  const user = await registerUser(test.app, 'alice')
  const login = (await postToken(test.app, { username: 'alice', password: PASSWORD })).json()
  return { test, auth, user, login }
}

function introspect(
  test: TestApp,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return test.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  })
}

describe('POST /introspect (RFC 7662)', () => {
  it('returns the claims of an active access token', async (t) => {
    const { test, auth, user, login } = await setup(t)
    const res = await introspect(test, { token: login.access_token }, { authorization: auth })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    assert.equal(body.active, true)
    assert.equal(body.sub, user.id)
    assert.equal(body.username, 'alice')
    assert.equal(body.scope, 'profile sessions email')
    assert.equal(body.client_id, 'portcullis')
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.iss, ISSUER)
    assert.equal(typeof body.exp, 'number')
    assert.equal(typeof body.iat, 'number')
    assert.equal(typeof body.sid, 'string')
  })

  it('returns an active refresh token without spending it, and a spent one as inactive', async (t) => {
    const { test, auth, login } = await setup(t)
    const res = await introspect(
      test,
      { token: login.refresh_token, token_type_hint: 'refresh_token' },
      { authorization: auth },
    )
    assert.equal(res.json().active, true)
    assert.equal(res.json().token_type, 'refresh_token')
    assert.equal(res.json().username, 'alice')
    const refreshed = await postToken(test.app, {
      grant_type: 'refresh_token',
      refresh_token: login.refresh_token,
    })
    assert.equal(refreshed.statusCode, 200, 'introspection did not spend the token')
    const spent = await introspect(test, { token: login.refresh_token }, { authorization: auth })
    assert.deepEqual(spent.json(), { active: false })
  })

  it('answers exactly {"active":false} for expired, revoked and garbage tokens', async (t) => {
    const { test, auth, login } = await setup(t)
    const inactive = async (token: string) => {
      const res = await introspect(test, { token }, { authorization: auth })
      assert.equal(res.statusCode, 200)
      assert.equal(res.body, '{"active":false}')
    }
    for (const garbage of ['x', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '🦀'.repeat(50)])
      await inactive(garbage)
    // Revoked: the session ended.
    const second = (await postToken(test.app, { username: 'alice', password: PASSWORD })).json()
    await test.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { authorization: `Bearer ${second.access_token}` },
    })
    await inactive(second.access_token)
    await inactive(second.refresh_token)
    // Expired: past the 15 minutes.
    test.clock.advance(901_000)
    await inactive(login.access_token)
  })

  it('answers inactive for the token of a disabled user', async (t) => {
    const { test, auth, user, login } = await setup(t)
    await test.services.userAdmin.setDisabled(user.id, true, { id: 'test' })
    const res = await introspect(test, { token: login.access_token }, { authorization: auth })
    assert.deepEqual(res.json(), { active: false })
  })

  it('introspects client_credentials tokens while the client exists', async (t) => {
    const { test, auth } = await setup(t)
    const { client, secret } = await createClient(test, {
      id: 'batch',
      grantTypes: ['client_credentials'],
      scopes: ['email'],
    })
    const token = (
      await postToken(
        test.app,
        { grant_type: 'client_credentials' },
        { authorization: basic(client.id, secret ?? '') },
      )
    ).json().access_token
    const active = await introspect(test, { token }, { authorization: auth })
    assert.equal(active.json().active, true)
    assert.equal(active.json().sub, 'batch')
    assert.equal(active.json().client_id, 'batch')
    assert.equal(active.json().username, undefined)
    await test.services.clients.delete('batch', { id: 'test' })
    const gone = await introspect(test, { token }, { authorization: auth })
    assert.deepEqual(gone.json(), { active: false })
  })

  it('answers 401 invalid_client to unauthenticated callers and wrong secrets', async (t) => {
    const { test, login } = await setup(t)
    for (const headers of [{}, { authorization: basic('resource-server', 'wrong') }] as Record<
      string,
      string
    >[]) {
      const res = await introspect(test, { token: login.access_token }, headers)
      assert.equal(res.statusCode, 401)
      assert.equal(res.json().error, 'invalid_client')
      assert.equal(res.headers['www-authenticate'], 'Basic realm="portcullis"')
    }
    const builtin = await introspect(test, { token: login.access_token, client_id: 'portcullis' })
    assert.equal(builtin.statusCode, 403)
  })

  it('answers 403 access_denied to a client without the introspect permission', async (t) => {
    const { test, login } = await setup(t)
    const { client, secret } = await createClient(test, { id: 'plain' })
    const res = await introspect(
      test,
      { token: login.access_token },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'access_denied')
  })

  it('requires the token parameter and a form body', async (t) => {
    const { test, auth } = await setup(t)
    const missing = await introspect(test, {}, { authorization: auth })
    assert.equal(missing.statusCode, 400)
    assert.equal(missing.json().error, 'invalid_request')
    const json = await test.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: '{"token":"x"}',
    })
    assert.equal(json.statusCode, 415)
  })

  it('is rate limited per client IP', async (t) => {
    const { test, auth, login } = await setup(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_REQUEST_LIMIT: '3',
    })
    const statuses = []
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await introspect(test, { token: login.access_token }, { authorization: auth })).statusCode,
      )
    }
    assert.deepEqual(statuses, [200, 200, 200, 429])
  })

  it("answers with the scopes the user's current roles still grant, inactive when none remain", async (t) => {
    const { test, auth, user } = await setup(t, {
      PORTCULLIS_SCOPES: 'notes:write',
      PORTCULLIS_ROLES: 'user=profile;writer=notes:write',
    })
    await test.services.store.users.setRoles(user.id, ['user', 'writer'], new Date().toISOString())
    const both = (
      await postToken(test.app, {
        username: 'alice',
        password: PASSWORD,
        scope: 'profile notes:write',
      })
    ).json()
    const writeOnly = (
      await postToken(test.app, { username: 'alice', password: PASSWORD, scope: 'notes:write' })
    ).json()
    const scopeOf = async (token: string, hint: string) =>
      (await introspect(test, { token, token_type_hint: hint }, { authorization: auth })).json()
    assert.equal((await scopeOf(both.access_token, 'access_token')).scope, 'profile notes:write')
    assert.equal((await scopeOf(writeOnly.refresh_token, 'refresh_token')).scope, 'notes:write')
    const admin = await adminLogin(test)
    const put = await test.app.inject({
      method: 'PUT',
      url: `/admin/users/${user.id}/roles`,
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { roles: ['user'] },
    })
    assert.equal(put.statusCode, 200, put.body)
    for (const [token, hint] of [
      [both.access_token, 'access_token'],
      [both.refresh_token, 'refresh_token'],
    ] as const) {
      const body = await scopeOf(token, hint)
      assert.equal(body.active, true, hint)
      assert.equal(body.scope, 'profile', hint)
    }
    for (const token of [writeOnly.access_token, writeOnly.refresh_token]) {
      const res = await introspect(test, { token }, { authorization: auth })
      assert.equal(res.body, '{"active":false}')
    }
  })
})
