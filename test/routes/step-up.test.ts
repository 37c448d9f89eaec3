import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { codeAt, mfaContext, STEP_MS, userRecord } from '../auth/mfa-support.js'
import {
  adminLogin,
  buildTestApp,
  login,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { firstStep, secondStep } from './mfa-grant-support.js'

/**
 * A sensitive call: a password change with a wrong current password. Past step-up it reaches
 * the handler and answers 400 invalid_grant (nothing changes); refused, it is 401.
 */
const changePassword = (app: FastifyInstance, token: string) =>
  app.inject({
    method: 'PUT',
    url: '/users/me/password',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: { current_password: 'not the password', new_password: 'another long passphrase' },
  })

/**
 * Enrolls and confirms an authenticator app for `username` from their newest sign-in (as over the
 * API: that password-only session is the one a new factor keeps); returns the secret.
 */
async function enroll(testApp: TestApp, username: string) {
  const user = await userRecord(testApp, username)
  const [current] = await testApp.services.sessions.listLive(user.id)
  const context = { ...mfaContext, sessionId: current?.id ?? null }
  const { secret } = await testApp.services.mfa.enrollTotp(user, context)
  await testApp.services.mfa.confirmTotp(user.id, codeAt(testApp, secret), context)
  testApp.clock.advance(STEP_MS)
  return secret
}

/** Signs in through both steps; returns the access token. */
async function mfaLogin(testApp: TestApp, username: string, secret: string, scope = 'profile') {
  const { body } = await firstStep(testApp.app, username, 'mfa_required', { scope })
  const res = await secondStep(testApp.app, body.mfa_token, codeAt(testApp, secret))
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

function assertRefused(res: Awaited<ReturnType<typeof changePassword>>, maxAge = 600) {
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().error, 'insufficient_user_authentication')
  const challenge = String(res.headers['www-authenticate'])
  assert.match(challenge, /^Bearer realm="[^"]+", error="insufficient_user_authentication"/)
  assert.match(challenge, /error_description="[^"]*multi-factor sign-in[^"]*"/)
  assert.ok(challenge.endsWith(`, max_age=${maxAge}`), challenge)
}

describe('step-up (RFC 9470) on sensitive routes', () => {
  it('is not skipped when the token and its session are already in memory', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await registerUser(app, 'alice')
    const passwordOnly = await login(app, 'alice')
    await enroll(testApp, 'alice')
    // A plain protected call: the token's verification and its session are cached after it.
    const me = await app.inject({
      url: '/users/me',
      headers: { authorization: `Bearer ${passwordOnly}` },
    })
    assert.equal(me.statusCode, 200, me.body)
    assert.ok(services.tokens.fromCache(passwordOnly)?.sid, 'the token is in the cache')
    assertRefused(await changePassword(app, passwordOnly))
  })

  it('refuses a password-only session of a user with a factor, allows a fresh TOTP sign-in', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services, clock } = testApp
    await registerUser(app, 'alice')
    const passwordOnly = await login(app, 'alice')
    const secret = await enroll(testApp, 'alice')
    assertRefused(await changePassword(app, passwordOnly))
    const deleted = await app.inject({
      method: 'DELETE',
      url: '/users/me',
      headers: { authorization: `Bearer ${passwordOnly}`, 'content-type': 'application/json' },
      payload: { password: 'correct horse battery staple' },
    })
    assertRefused(deleted)
    const refused = await services.audit.list({ type: 'mfa.step_up_refused', limit: 10 })
    assert.equal(refused.length, 2)
    assert.equal(refused[0]?.outcome, 'failure')

    const { access_token, refresh_token } = await mfaLogin(testApp, 'alice', secret)
    assert.equal((await changePassword(app, access_token)).json().error, 'invalid_grant')
    // Exactly max_age later it is still recent; one second more and it is not.
    clock.advance(600_000)
    assert.equal((await changePassword(app, access_token)).statusCode, 400)
    clock.advance(1000)
    assertRefused(await changePassword(app, access_token))
    // A refresh keeps the sign-in's auth_time: it does not make the sign-in recent again.
    const refreshed = await postToken(app, { grant_type: 'refresh_token', refresh_token })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    assertRefused(await changePassword(app, refreshed.json().access_token))
  })

  it('takes its max_age from PORTCULLIS_MFA_STEP_UP_MAX_AGE', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_MFA_STEP_UP_MAX_AGE: '120' } })
    await registerUser(testApp.app, 'alice')
    const secret = await enroll(testApp, 'alice')
    const { access_token } = await mfaLogin(testApp, 'alice', secret)
    testApp.clock.advance(121_000)
    assertRefused(await changePassword(testApp.app, access_token), 120)
  })

  it('leaves users without a factor alone', async (t) => {
    const testApp = await buildTestApp(t)
    await registerUser(testApp.app, 'bob')
    const token = await login(testApp.app, 'bob')
    testApp.clock.advance(601_000)
    assert.equal((await changePassword(testApp.app, token)).json().error, 'invalid_grant')
  })

  for (const on of [false, true]) {
    it(`${on ? 'guards' : 'leaves'} the /admin API with PORTCULLIS_ADMIN_REQUIRE_MFA=${on}`, async (t) => {
      const testApp = await buildTestApp(t, {
        env: { PORTCULLIS_ADMIN_REQUIRE_MFA: String(on) },
      })
      const { app } = testApp
      const { token } = await adminLogin(testApp, 'root')
      const secret = await enroll(testApp, 'root')
      const list = (bearer: string) =>
        app.inject({
          method: 'GET',
          url: '/admin/users',
          headers: { authorization: `Bearer ${bearer}` },
        })
      const passwordOnly = await list(token)
      if (on) assertRefused(passwordOnly)
      else assert.equal(passwordOnly.statusCode, 200, passwordOnly.body)
      const { access_token } = await mfaLogin(testApp, 'root', secret, 'profile admin')
      assert.equal((await list(access_token)).statusCode, 200)
      // A route without the flag outside /admin never asks.
      const me = await app.inject({
        method: 'GET',
        url: '/users/me',
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(me.statusCode, 200)
    })
  }
})
