import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, PASSWORD, postToken, registerUser } from '../helpers.js'
import { latestToken } from '../support/outbox.js'

const required = { env: { PORTCULLIS_REQUIRE_VERIFIED_EMAIL: 'true' } }
const notVerified = {
  error: 'email_not_verified',
  error_description:
    'this account must verify its email address before logging in: follow the link sent to the address (or ask for a reset link at POST /password/forgot: following it verifies the address too), then try again',
}

describe('PORTCULLIS_REQUIRE_VERIFIED_EMAIL', () => {
  it('is off by default: an unverified user logs in', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    assert.equal((await postToken(app, { username: 'alice', password: PASSWORD })).statusCode, 200)
  })

  it('refuses a right password of an unverified user with 400 email_not_verified, audited', async (t) => {
    const { app, services } = await buildTestApp(t, required)
    const user = await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 400, res.body)
    assert.deepEqual(res.json(), notVerified)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(await services.store.sessions.listForUser(user.id).then((s) => s.length), 0)
    const [event] = await services.audit.list({ type: 'login.failure', limit: 1 })
    assert.equal(event?.userId, user.id)
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), { reason: 'email_not_verified' })
  })

  it('answers a wrong password of an unverified user with invalid_grant, as for anyone', async (t) => {
    const { app } = await buildTestApp(t, required)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const wrong = await postToken(app, { username: 'alice', password: 'not the password at all' })
    const unknown = await postToken(app, {
      username: 'nobody',
      password: 'not the password at all',
    })
    assert.equal(wrong.statusCode, 400)
    assert.deepEqual(wrong.json(), unknown.json())
    assert.equal(wrong.json().error, 'invalid_grant')
  })

  it('lets the user in once the address is verified', async (t) => {
    const { app, services } = await buildTestApp(t, required)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const token = await latestToken(services.store, 'alice@example.com', 'verify_email')
    const verified = await app.inject({ method: 'POST', url: '/email/verify', payload: { token } })
    assert.equal(verified.statusCode, 204)
    const res = await postToken(app, { username: 'alice@example.com', password: PASSWORD })
    assert.equal(res.statusCode, 200, res.body)
  })

  it('lets a user whose verification link expired back in through a reset link', async (t) => {
    const { app, services, clock } = await buildTestApp(t, required)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    clock.advance(25 * 3600 * 1000)
    const forgot = await app.inject({
      method: 'POST',
      url: '/password/forgot',
      payload: { email: 'alice@example.com' },
    })
    assert.equal(forgot.statusCode, 202)
    await services.recovery.idle()
    const token = await latestToken(services.store, 'alice@example.com', 'reset_password')
    const chosen = 'a passphrase chosen to get back in'
    const reset = await app.inject({
      method: 'POST',
      url: '/password/reset',
      payload: { token, new_password: chosen },
    })
    assert.equal(reset.statusCode, 204, reset.body)
    const res = await postToken(app, { username: 'alice', password: chosen })
    assert.equal(res.statusCode, 200, res.body)
  })

  it('refuses a user without an address (who cannot verify one)', async (t) => {
    const { app } = await buildTestApp(t, required)
    await registerUser(app, 'bob')
    const res = await postToken(app, { username: 'bob', password: PASSWORD })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), notVerified)
  })

  it('does not count a right password as a failed login', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { ...required.env, PORTCULLIS_RATE_LIMITS: 'true' },
    })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    for (let i = 0; i < 12; i++) {
      const res = await postToken(app, { username: 'alice', password: PASSWORD })
      assert.equal(res.statusCode, 400, `attempt ${i}: ${res.body}`)
      assert.equal(res.json().error, 'email_not_verified')
    }
  })
})
