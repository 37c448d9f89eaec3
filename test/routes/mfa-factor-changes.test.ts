import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import {
  codeAt,
  enrolledUser,
  mfaContext,
  multiFactorToken,
  userRecord,
} from '../auth/mfa-support.js'
import { SoftAuthenticator } from '../auth/passkeys-authenticator.js'
import {
  buildTestApp,
  ISSUER,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { messagesTo } from '../support/outbox.js'
import { assertError } from './admin-support.js'
import {
  authorizeQuery,
  browserSession,
  codeClient,
  getAuthorize,
  pkce,
  redirected,
} from './authorize-support.js'

/** A password-grant sign-in of `username`: its access and refresh tokens. */
async function passwordSignIn({ app }: TestApp, username: string) {
  const res = await postToken(app, { username, password: PASSWORD })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** Asserts the RFC 9470 step-up challenge. */
function assertStepUp(res: Awaited<ReturnType<TestApp['app']['inject']>>) {
  assertError(res, 401, 'insufficient_user_authentication')
  assert.match(String(res.headers['www-authenticate']), /insufficient_user_authentication/)
}

/** `alice` signed in by password alone, then enrolling an authenticator app from that session. */
async function enrolledAfterSignIn(t: TestContext, env: Record<string, string> = {}) {
  const h = await buildTestApp(t, { env })
  await registerUser(h.app, 'alice')
  const before = await passwordSignIn(h, 'alice')
  const user = await userRecord(h, 'alice')
  // Enrolled from that very session (as over the API): the one sign-in a new factor keeps.
  const [session] = await h.services.sessions.listLive(user.id)
  const context = { ...mfaContext, sessionId: session?.id ?? null }
  const { secret } = await h.services.mfa.enrollTotp(user, context)
  await h.services.mfa.confirmTotp(user.id, codeAt(h, secret), context)
  return { ...h, user, before }
}

describe('changing second factors needs the factor the account already has', () => {
  it('a password-only token cannot add a passkey once the user has an authenticator app', async (t) => {
    const h = await enrolledAfterSignIn(t)
    const options = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys/options',
      headers: bearer(h.before.access_token),
    })
    assertStepUp(options)
    // With a recent multi-factor sign-in it may.
    const token = await multiFactorToken(h, h.user.id)
    const allowed = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys/options',
      headers: bearer(token),
    })
    assert.equal(allowed.statusCode, 200, allowed.body)
  })

  it('a password-only token cannot enroll an authenticator app next to a passkey', async (t) => {
    const h = await buildTestApp(t)
    await registerUser(h.app, 'alice')
    const before = await passwordSignIn(h, 'alice')
    // The first factor needs no step-up: a passkey, registered with the password-only token.
    const options = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys/options',
      headers: bearer(before.access_token),
    })
    assert.equal(options.statusCode, 200, options.body)
    const response = new SoftAuthenticator({ origin: ISSUER }).create(options.json())
    const registered = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys',
      headers: bearer(before.access_token),
      payload: { response },
    })
    assert.equal(registered.statusCode, 201, registered.body)
    const enroll = await h.app.inject({
      method: 'POST',
      url: '/users/me/mfa/totp',
      headers: bearer(before.access_token),
    })
    assertStepUp(enroll)
  })

  it('an operator who has a factor resets factors only after a recent multi-factor sign-in', async (t) => {
    const h = await buildTestApp(t)
    const { user: root } = await enrolledUser(h, 'root')
    await h.services.store.users.setRoles(root.id, ['user', 'admin'], new Date().toISOString())
    const { user: bob } = await enrolledUser(h, 'bob')
    const { session } = await h.services.sessions.start(
      root.id,
      h.services.config.clients.builtinId,
      'profile admin',
      { ip: '127.0.0.1', userAgent: null },
      { refreshToken: false, lifetimeSeconds: 900 },
    )
    const passwordOnly = (
      await h.services.tokens.issue(root.id, 'portcullis', 'profile admin', session)
    ).token
    const url = `/admin/users/${bob.id}/mfa`
    assertStepUp(await h.app.inject({ method: 'DELETE', url, headers: bearer(passwordOnly) }))
    assert.deepEqual(await h.services.mfa.methods(bob.id), ['totp', 'recovery_code'])
    const recent = await multiFactorToken(h, root.id, 'profile admin')
    const reset = await h.app.inject({ method: 'DELETE', url, headers: bearer(recent) })
    assert.equal(reset.statusCode, 204, reset.body)
  })

  it('stores only the transports WebAuthn defines (a bad one is no 5xx)', async (t) => {
    const h = await buildTestApp(t)
    await registerUser(h.app, 'alice')
    const { access_token } = await passwordSignIn(h, 'alice')
    const options = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys/options',
      headers: bearer(access_token),
    })
    const response = new SoftAuthenticator({ origin: ISSUER }).create(options.json())
    response.response.transports = ['', 'a b', 'usb', 'usb', 'hologram', 'internal']
    const res = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys',
      headers: bearer(access_token),
      payload: { response },
    })
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json().transports, ['usb', 'internal'])
  })
})

describe('a sign-in by password alone ends once the account has a second factor', () => {
  it('its refresh token is refused', async (t) => {
    const h = await enrolledAfterSignIn(t)
    const res = await postToken(h.app, {
      grant_type: 'refresh_token',
      refresh_token: h.before.refresh_token,
    })
    assertError(res, 400, 'invalid_grant')
  })

  it('its browser session no longer signs in: prompt=none is login_required', async (t) => {
    const h = await buildTestApp(t)
    const client = await codeClient(h)
    const { userId, cookie } = await browserSession(h, 'alice')
    const { challenge } = pkce()
    const query = authorizeQuery(client, challenge, { prompt: 'none' })
    const before = redirected(await getAuthorize(h, query, cookie))
    assert.ok(before.params.get('code'), 'a code before the user enrolls')
    const user = await userRecord(h, 'alice')
    assert.equal(user.id, userId)
    const { secret } = await h.services.mfa.enrollTotp(user, mfaContext)
    await h.services.mfa.confirmTotp(user.id, codeAt(h, secret), mfaContext)
    const after = redirected(await getAuthorize(h, query, cookie))
    assert.equal(after.params.get('error'), 'login_required')
    assert.equal(after.params.get('code'), null)
    const page = await h.app.inject({ method: 'GET', url: '/add-passkey', headers: { cookie } })
    assert.equal(page.statusCode, 401)
  })

  it('a role that requires a factor gets no refreshed tokens without one', async (t) => {
    const h = await buildTestApp(t, { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } })
    const { id } = await registerUser(h.app, 'root')
    await h.services.store.users.setRoles(id, ['user', 'admin'], new Date().toISOString())
    // A session from before the policy: started as the password grant started it then.
    const { refreshToken } = await h.services.sessions.start(
      id,
      h.services.config.clients.builtinId,
      'profile admin',
      { ip: '127.0.0.1', userAgent: null },
      { refreshToken: true },
    )
    const res = await postToken(h.app, {
      grant_type: 'refresh_token',
      refresh_token: String(refreshToken),
    })
    assertError(res, 403, 'mfa_enrollment_required')
  })

  it('enrolling over the API ends the other password-only sign-ins for good, keeping its own', async (t) => {
    const h = await buildTestApp(t)
    const client = await codeClient(h)
    const { id } = await registerUser(h.app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const other = await passwordSignIn(h, 'alice')
    const { cookie } = await browserSession(h, 'alice', { userId: id })
    const own = await passwordSignIn(h, 'alice')
    const enrolled = await h.app.inject({
      method: 'POST',
      url: '/users/me/mfa/totp',
      headers: bearer(own.access_token),
    })
    assert.equal(enrolled.statusCode, 200, enrolled.body)
    const code = codeAt(h, enrolled.json().secret)
    const confirmed = await h.app.inject({
      method: 'POST',
      url: '/users/me/mfa/totp/confirm',
      headers: bearer(own.access_token),
      payload: { code },
    })
    assert.equal(confirmed.statusCode, 200, confirmed.body)
    const me = (token: string) =>
      h.app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
    assertError(await me(other.access_token), 401, 'invalid_token')
    assert.equal((await me(own.access_token)).statusCode, 200)
    // Gone for good: removing the factor brings none of them back.
    await h.services.mfa.removeTotp(id, mfaContext)
    assertError(await me(other.access_token), 401, 'invalid_token')
    const refreshed = await postToken(h.app, {
      grant_type: 'refresh_token',
      refresh_token: other.refresh_token,
    })
    assertError(refreshed, 400, 'invalid_grant')
    const query = authorizeQuery(client, pkce().challenge, { prompt: 'none' })
    assert.equal(
      redirected(await getAuthorize(h, query, cookie)).params.get('error'),
      'login_required',
    )
    // The owner is told.
    const told = await messagesTo(h.services.store, 'alice@example.com', 'mfa_changed')
    assert.equal(told.length, 2)
  })

  it('a passkey added is emailed to the owner', async (t) => {
    const h = await buildTestApp(t)
    const { id } = await registerUser(h.app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const token = await multiFactorToken(h, id)
    const options = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys/options',
      headers: bearer(token),
    })
    const response = new SoftAuthenticator({ origin: ISSUER }).create(options.json())
    const res = await h.app.inject({
      method: 'POST',
      url: '/users/me/passkeys',
      headers: bearer(token),
      payload: { response },
    })
    assert.equal(res.statusCode, 201, res.body)
    const [told] = await messagesTo(h.services.store, 'alice@example.com', 'mfa_changed')
    assert.match(told?.textBody ?? '', /A passkey was added/)
  })
})

describe('a role that requires a factor, without one', () => {
  it('its password-only browser login no longer signs in: the login page asks', async (t) => {
    const h = await buildTestApp(t, { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } })
    const client = await codeClient(h)
    const { userId, cookie } = await browserSession(h, 'root')
    await h.services.store.users.setRoles(userId, ['user', 'admin'], new Date().toISOString())
    const query = authorizeQuery(client, pkce().challenge, { prompt: 'none' })
    assert.equal(
      redirected(await getAuthorize(h, query, cookie)).params.get('error'),
      'login_required',
    )
  })

  it('gets no refreshed tokens even from a multi-factor sign-in whose factors were reset', async (t) => {
    const h = await buildTestApp(t, { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } })
    const { user } = await enrolledUser(h, 'root')
    await h.services.store.users.setRoles(user.id, ['user', 'admin'], new Date().toISOString())
    const { refreshToken } = await h.services.sessions.start(
      user.id,
      h.services.config.clients.builtinId,
      'profile admin',
      { ip: '127.0.0.1', userAgent: null },
      { refreshToken: true, amr: ['pwd', 'otp', 'mfa'] },
    )
    await h.services.mfa.reset(user.id, { id: 'cli' })
    const res = await postToken(h.app, {
      grant_type: 'refresh_token',
      refresh_token: String(refreshToken),
    })
    assertError(res, 403, 'mfa_enrollment_required')
  })
})
