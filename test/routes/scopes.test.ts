import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { adminLogin, buildTestApp, getMe, PASSWORD, postToken, registerUser } from '../helpers.js'

const token = (res: { json: () => unknown }) =>
  (res.json() as { access_token: string }).access_token

describe('scopes and roles', () => {
  it('gives a user its default scopes when none are asked for, never admin', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().scope, 'profile sessions email')
    assert.equal(decodeJwt(token(res)).scope, 'profile sessions email')
  })

  it('narrows to the requested scopes', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const res = await postToken(app, { username: 'alice', password: PASSWORD, scope: 'profile' })
    assert.equal(res.json().scope, 'profile')
    assert.equal(decodeJwt(token(res)).scope, 'profile')
  })

  for (const [label, scope, description] of [
    ['an unknown scope', 'profile write:everything', /unknown scope: write:everything/],
    ['a scope the roles do not grant', 'profile admin', /not permitted: admin/],
  ] as const) {
    it(`refuses ${label} with 400 invalid_scope and starts no session`, async (t) => {
      const { app, services } = await buildTestApp(t)
      const user = await registerUser(app, 'alice')
      const res = await postToken(app, { username: 'alice', password: PASSWORD, scope })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_scope')
      assert.match(res.json().error_description, description)
      assert.deepEqual(await services.sessions.listLive(user.id), [])
    })
  }

  it('answers 403 insufficient_scope with the RFC 6750 challenge naming the scope', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const sessionsOnly = token(
      await postToken(app, { username: 'alice', password: PASSWORD, scope: 'sessions' }),
    )
    const res = await getMe(app, `Bearer ${sessionsOnly}`)
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'insufficient_scope')
    assert.equal(
      res.headers['www-authenticate'],
      'Bearer realm="portcullis", error="insufficient_scope", error_description="the access token lacks the scope profile", scope="profile"',
    )
    const sessions = await app.inject({
      url: '/users/me/sessions',
      headers: { authorization: `Bearer ${sessionsOnly}` },
    })
    assert.equal(sessions.statusCode, 200)
    // Logging out needs no particular scope.
    const profileOnly = token(
      await postToken(app, { username: 'alice', password: PASSWORD, scope: 'profile' }),
    )
    const list = await app.inject({
      url: '/users/me/sessions',
      headers: { authorization: `Bearer ${profileOnly}` },
    })
    assert.equal(list.statusCode, 403)
    assert.match(String(list.headers['www-authenticate']), /scope="sessions"$/)
    const logout = await app.inject({
      method: 'POST',
      url: '/logout',
      headers: { authorization: `Bearer ${profileOnly}` },
    })
    assert.equal(logout.statusCode, 204)
  })

  it('lets an admin ask for admin; a role change applies at the next token', async (t) => {
    const test = await buildTestApp(t)
    const { app, services } = test
    const admin = await adminLogin(test)
    assert.equal(decodeJwt(admin.token).scope, 'profile admin')
    const bob = await registerUser(app, 'bob')
    const before = await postToken(app, { username: 'bob', password: PASSWORD, scope: 'admin' })
    assert.equal(before.json().error, 'invalid_scope')
    const put = await app.inject({
      method: 'PUT',
      url: `/admin/users/${bob.id}/roles`,
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { roles: ['user', 'admin'] },
    })
    assert.equal(put.statusCode, 200)
    assert.deepEqual(put.json().roles, ['user', 'admin'])
    const after = await postToken(app, { username: 'bob', password: PASSWORD, scope: 'admin' })
    assert.equal(after.statusCode, 200)
    assert.equal(after.json().scope, 'admin')
    assert.deepEqual((await services.store.users.findById(bob.id))?.roles, ['user', 'admin'])
  })

  it('drops scopes the roles no longer grant at the next refresh', async (t) => {
    const { app, services } = await buildTestApp(t, {
      env: {
        PORTCULLIS_SCOPES: 'email notes:read',
        PORTCULLIS_ROLES: 'user=profile;reader=notes:read',
      },
    })
    const carol = await registerUser(app, 'carol')
    await services.store.users.setRoles(carol.id, ['user', 'reader'], new Date().toISOString())
    const first = await postToken(app, {
      username: 'carol',
      password: PASSWORD,
      scope: 'profile notes:read',
    })
    assert.equal(first.json().scope, 'profile notes:read')
    await services.userAdmin.setRoles(carol.id, ['user'], { id: 'test' })
    const refreshed = await postToken(app, {
      grant_type: 'refresh_token',
      refresh_token: first.json().refresh_token,
    })
    assert.equal(refreshed.statusCode, 200)
    assert.equal(refreshed.json().scope, 'profile')
    assert.equal(decodeJwt(token(refreshed)).scope, 'profile')
  })

  it('honours configured roles: a role grants only its scopes', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_ROLES: 'user=profile', PORTCULLIS_DEFAULT_SCOPES: 'profile sessions' },
    })
    await registerUser(app, 'dave')
    const res = await postToken(app, { username: 'dave', password: PASSWORD })
    assert.equal(res.json().scope, 'profile')
    const wide = await postToken(app, { username: 'dave', password: PASSWORD, scope: 'sessions' })
    assert.equal(wide.json().error, 'invalid_scope')
  })

  it('shows each route’s scopes in the OpenAPI document and the Authorize dialog', async (t) => {
    const { app } = await buildTestApp(t)
    const doc = (await app.inject('/openapi.json')).json()
    assert.deepEqual(doc.paths['/users/me'].get.security, [{ OAuth2PasswordBearer: ['profile'] }])
    assert.deepEqual(doc.paths['/users/me/sessions'].get.security, [
      { OAuth2PasswordBearer: ['sessions'] },
    ])
    assert.deepEqual(doc.paths['/admin/users'].get.security, [{ OAuth2PasswordBearer: ['admin'] }])
    assert.deepEqual(doc.paths['/logout'].post.security, [{ OAuth2PasswordBearer: [] }])
    const flow = doc.components.securitySchemes.OAuth2PasswordBearer.flows.password
    assert.deepEqual(Object.keys(flow.scopes), ['profile', 'sessions', 'admin', 'email'])
  })

  it('refuses a scope at once when the roles stop granting it, even on a live token', async (t) => {
    const test = await buildTestApp(t)
    const admin = await adminLogin(test)
    // As if the role changed mid-login, or through a path that does not end sessions.
    await test.services.store.users.setRoles(admin.id, ['user'], new Date().toISOString())
    const res = await test.app.inject({
      url: '/admin/users',
      headers: { authorization: `Bearer ${admin.token}` },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'insufficient_scope')
    assert.match(res.json().error_description, /no longer grant the scope admin/)
    assert.equal((await getMe(test.app, `Bearer ${admin.token}`)).statusCode, 200)
  })

  it('ends the sessions of a user whose custom role granted admin when it is taken away', async (t) => {
    const test = await buildTestApp(t, { env: { PORTCULLIS_ROLES: 'ops=profile admin' } })
    const { app, services } = test
    const eve = await registerUser(app, 'eve')
    await services.store.users.setRoles(eve.id, ['user', 'ops'], new Date().toISOString())
    const login = await postToken(app, { username: 'eve', password: PASSWORD, scope: 'admin' })
    assert.equal(login.statusCode, 200)
    await services.userAdmin.setRoles(eve.id, ['user'], { id: 'test' })
    const res = await getMe(app, `Bearer ${token(login)}`)
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error, 'invalid_token')
  })
})
