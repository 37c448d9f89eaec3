import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { enrolledUser, mfaContext } from '../auth/mfa-support.js'
import { adminLogin, buildTestApp, login } from '../helpers.js'
import { messagesTo } from '../support/outbox.js'
import { assertError, call } from './admin-support.js'

describe('/admin/users/{id}: second factors', () => {
  it("shows which factors are on, and an admin's reset removes them, audited and noticed", async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    const admin = await adminLogin(testApp)
    const { user } = await enrolledUser(testApp, 'ada', { email: 'ada@example.com' })
    await services.mfa.verifyCode(
      user,
      (await services.mfa.regenerateRecoveryCodes(user.id, mfaContext))[0] ?? '',
      mfaContext,
    )

    const shown = await call(app, 'GET', `/admin/users/${user.id}`, { token: admin.token })
    assert.equal(shown.statusCode, 200, shown.body)
    assert.deepEqual(shown.json().mfa, { totp: true, passkeys: 0, recovery_codes_remaining: 9 })

    const reset = await call(app, 'DELETE', `/admin/users/${user.id}/mfa`, { token: admin.token })
    assert.equal(reset.statusCode, 204, reset.body)
    const after = await call(app, 'GET', `/admin/users/${user.id}`, { token: admin.token })
    assert.deepEqual(after.json().mfa, { totp: false, passkeys: 0, recovery_codes_remaining: 0 })
    assert.deepEqual(await services.mfa.methods(user.id), [])

    const [event] = await services.store.audit.list({ type: 'admin.user.mfa_reset', limit: 5 })
    assert.equal(event?.userId, user.id)
    assert.equal(event?.actorId, admin.id)
    const notices = await messagesTo(services.store, 'ada@example.com', 'mfa_changed')
    assert.match(notices.at(-1)?.textBody ?? '', /administrator removed every second factor/)

    assertError(
      await call(app, 'DELETE', '/admin/users/nobody/mfa', { token: admin.token }),
      404,
      'not_found',
    )
    const plain = await login(app, 'ada')
    assertError(
      await call(app, 'DELETE', `/admin/users/${user.id}/mfa`, { token: plain }),
      403,
      'insufficient_scope',
    )
    assert.equal((await call(app, 'DELETE', `/admin/users/${user.id}/mfa`)).statusCode, 401)
  })
})
