import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { totpCode } from '../../src/auth/mfa/totp.js'
import { codeAt } from '../auth/mfa-support.js'
import { buildTestApp, createClient, postToken, registerUser, type TestApp } from '../helpers.js'
import {
  authorizeCode,
  authorizeQuery,
  browserSession,
  codeClient,
  exchange,
  getAuthorize,
  pkce,
} from './authorize-support.js'
import { firstStep, secondStep, sessionOf } from './mfa-grant-support.js'

const required = { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } }

/** Registers `username` holding the admin role (required to have a factor). */
async function adminUser({ app, services }: TestApp, username = 'root') {
  const user = await registerUser(app, username)
  await services.store.users.setRoles(user.id, ['user', 'admin'], new Date().toISOString())
  return user
}

const associate = (app: FastifyInstance, mfaToken: string, body: Record<string, unknown> = {}) =>
  app.inject({
    method: 'POST',
    url: '/mfa/associate',
    headers: { authorization: `Bearer ${mfaToken}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  })

describe('required roles: enrollment through the password grant', () => {
  it('enrolls with POST /mfa/associate and the MFA grant, returning recovery codes once', async (t) => {
    const testApp = await buildTestApp(t, required)
    const { app, services } = testApp
    const user = await adminUser(testApp)
    const { body } = await firstStep(app, 'root', 'mfa_enrollment_required', {
      scope: 'profile admin',
    })
    assert.match(body.error_description, /\/mfa\/associate/)
    assert.equal(body.mfa_methods, undefined)
    assert.deepEqual(await services.store.sessions.listForUser(user.id), [])

    const enrolled = await associate(app, body.mfa_token, { authenticator_types: ['otp'] })
    assert.equal(enrolled.statusCode, 200, enrolled.body)
    assert.equal(enrolled.headers['cache-control'], 'no-store')
    const { secret, otpauth_uri, qr_svg } = enrolled.json()
    assert.match(otpauth_uri, /^otpauth:\/\/totp\//)
    assert.match(qr_svg, /^<svg/)

    const wrong = await secondStep(app, body.mfa_token, '000000')
    assert.equal(wrong.statusCode, 400)
    assert.equal(wrong.json().error, 'invalid_grant')
    const done = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(done.statusCode, 200, done.body)
    const tokens = done.json()
    assert.equal(tokens.scope, 'profile admin')
    assert.equal(tokens.recovery_codes.length, 10)
    assert.deepEqual((await sessionOf(services, tokens.access_token)).amr, ['pwd', 'otp', 'mfa'])

    // Enrolled now: the next sign-in asks for the factor, never shows codes again.
    testApp.clock.advance(30_000)
    const next = await firstStep(app, 'root', 'mfa_required')
    const again = await secondStep(app, next.body.mfa_token, codeAt(testApp, secret))
    assert.equal(again.statusCode, 200, again.body)
    assert.equal(again.json().recovery_codes, undefined)
    // And associate refuses an account that has a factor.
    const third = await firstStep(app, 'root', 'mfa_required')
    const refused = await associate(app, third.body.mfa_token)
    assert.equal(refused.statusCode, 400)
    assert.equal(refused.json().error, 'invalid_request')
  })

  it('leaves users without a required role alone', async (t) => {
    const testApp = await buildTestApp(t, required)
    await registerUser(testApp.app, 'alice')
    const res = await postToken(testApp.app, {
      username: 'alice',
      password: 'correct horse battery staple',
    })
    assert.equal(res.statusCode, 200, res.body)
  })

  it("refuses an unknown, or another client's, mfa_token at /mfa/associate", async (t) => {
    const testApp = await buildTestApp(t, required)
    const { app } = testApp
    await adminUser(testApp)
    const other = await createClient(testApp, {
      confidential: false,
      grantTypes: ['password'],
      scopes: ['profile'],
    })
    const { body } = await firstStep(app, 'root', 'mfa_enrollment_required')
    for (const [token, extra] of [
      ['A'.repeat(43), {}],
      [body.mfa_token, { client_id: other.client.id }],
    ] as const) {
      const res = await associate(app, token, extra)
      assert.equal(res.statusCode, 401, res.body)
      assert.equal(res.json().error, 'invalid_token')
      assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="invalid_token"/)
    }
    const missing = await app.inject({
      method: 'POST',
      url: '/mfa/associate',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    })
    assert.equal(missing.statusCode, 401)
    // The token still works for its own client.
    assert.equal((await associate(app, body.mfa_token)).statusCode, 200)
  })

  it('gives no tokens through the code flow to a required role without a factor', async (t) => {
    const testApp = await buildTestApp(t, required)
    const user = await adminUser(testApp)
    const client = await codeClient(testApp)
    // A password-only login signs in no more: the login page asks (and walks through enrolling).
    const weak = await browserSession(testApp, 'root', { userId: user.id })
    const asked = await getAuthorize(
      testApp,
      authorizeQuery(client, pkce().challenge, { scope: 'profile' }),
      weak.cookie,
    )
    assert.equal(asked.statusCode, 303)
    assert.match(String(asked.headers.location), /^\/login\?/)
    // A multi-factor login whose factors an operator has since reset: the grant still refuses.
    const { cookie } = await browserSession(testApp, 'root', {
      userId: user.id,
      amr: ['pwd', 'otp', 'mfa'],
    })
    const { verifier, challenge } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge, { scope: 'profile' })
    const res = await exchange(testApp, client, code, verifier)
    assert.equal(res.statusCode, 403, res.body)
    assert.equal(res.json().error, 'mfa_enrollment_required')
    assert.match(res.json().error_description, /hosted login page/)
    assert.equal(res.json().mfa_token, undefined)

    // Once enrolled, a sign-in with both factors gets tokens through the same flow (the
    // password-only browser session signs in no more).
    const record = await testApp.services.store.users.findById(user.id)
    assert.ok(record)
    const context = { clientId: null, ip: '127.0.0.1', userAgent: null }
    const { secret } = await testApp.services.mfa.enrollTotp(record, context)
    await testApp.services.mfa.confirmTotp(user.id, totpCode(secret, testApp.clock.now()), context)
    const both = await browserSession(testApp, 'root', {
      userId: user.id,
      amr: ['pwd', 'otp', 'mfa'],
    })
    const second = pkce()
    const next = await authorizeCode(testApp, client, both.cookie, second.challenge, {
      scope: 'profile',
    })
    assert.equal((await exchange(testApp, client, next, second.verifier)).statusCode, 200)
  })
})
