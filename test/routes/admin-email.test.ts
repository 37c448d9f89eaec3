import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { adminLogin, buildTestApp, PASSWORD, registerUser } from '../helpers.js'
import { type AdminUser, call } from './admin-support.js'

/** An app with an admin (`root`), alice with an address and bob without one. */
async function withUsers(t: Parameters<typeof buildTestApp>[0]) {
  const testApp = await buildTestApp(t)
  const admin = await adminLogin(testApp)
  const alice = await registerUser(testApp.app, 'alice', PASSWORD, { email: 'alice@example.com' })
  const bob = await registerUser(testApp.app, 'bob')
  return { ...testApp, admin, alice, bob }
}

describe('POST /admin/users/:id/email/verify', () => {
  it('marks the address verified (204), audited with the admin as actor; the admin views show it', async (t) => {
    const { app, services, admin, alice } = await withUsers(t)
    const before = await call(app, 'GET', `/admin/users/${alice.id}`, { token: admin.token })
    assert.equal((before.json() as AdminUser).email_verified, false)
    const res = await call(app, 'POST', `/admin/users/${alice.id}/email/verify`, {
      token: admin.token,
    })
    assert.equal(res.statusCode, 204, res.body)
    assert.equal(res.body, '')
    const after = await call(app, 'GET', `/admin/users/${alice.id}`, { token: admin.token })
    assert.equal((after.json() as AdminUser).email_verified, true)
    const list = await call(app, 'GET', '/admin/users?q=alice', { token: admin.token })
    assert.deepEqual(
      (list.json() as { users: AdminUser[] }).users.map((u) => [u.username, u.email_verified]),
      [['alice', true]],
    )
    assert.equal((await services.store.users.findById(alice.id))?.emailVerified, true)
    const [event] = await services.audit.list({ type: 'admin.user.email_verified', limit: 5 })
    assert.equal(event?.userId, alice.id)
    assert.equal(event?.actorId, admin.id)
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), {
      email: 'alice@example.com',
      was_verified: false,
    })
  })

  it('answers a user without an address with 400 invalid_request, and an unknown user with 404', async (t) => {
    const { app, services, admin, bob } = await withUsers(t)
    const none = await call(app, 'POST', `/admin/users/${bob.id}/email/verify`, {
      token: admin.token,
    })
    assert.equal(none.statusCode, 400)
    assert.deepEqual(none.json(), {
      error: 'invalid_request',
      error_description: 'the user has no email address to verify',
    })
    const unknown = await call(app, 'POST', '/admin/users/no-such-user/email/verify', {
      token: admin.token,
    })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().error, 'not_found')
    assert.deepEqual(await services.audit.list({ type: 'admin.user.email_verified', limit: 5 }), [])
  })
})
