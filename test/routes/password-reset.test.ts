/**
 * Password recovery over HTTP: POST /password/forgot and POST /password/reset, the notice and
 * voided links after PUT /users/me/password, and the admin's reset link.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  adminLogin,
  buildTestApp,
  getMe,
  login,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import {
  assertError,
  forgot,
  messages,
  NEW_PASSWORD,
  newestResetToken,
  outbox,
  resetPassword,
  tokenOf,
} from './password-support.js'

const ALICE = 'alice@example.com'
const MINUTE = 60_000

async function withAlice(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const test = await buildTestApp(t, { env })
  const alice = await registerUser(test.app, 'alice', PASSWORD, { email: ALICE })
  return { ...test, alice }
}

/** Asks for a link to alice's address and returns its token. */
async function linkFor({ app, services }: TestApp, email = ALICE) {
  const res = await forgot(app, email)
  assert.equal(res.statusCode, 202)
  return newestResetToken(services, email.toLowerCase())
}

describe('POST /password/forgot', () => {
  it('answers 202 and sends one reset link to a known address, any case', async (t) => {
    const test = await withAlice(t)
    const res = await forgot(test.app, 'Alice@Example.COM')
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), {
      message: 'if the address belongs to an account, a reset link is on its way',
    })
    assert.equal(res.headers['cache-control'], 'no-store')
    const sent = await messages(test.services, 'reset_password', ALICE)
    assert.equal(sent.length, 1)
    assert.match(sent[0]?.textBody ?? '', /http:\/\/portcullis\.test\/reset-password#token=/)
    const audit = await test.services.audit.list({ type: 'password.reset_requested', limit: 5 })
    assert.deepEqual(
      audit.map((r) => [r.userId, r.ip]),
      [[test.alice.id, '127.0.0.1']],
    )
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(tokenOf(sent[0])))
  })

  it('sends nothing for an unknown address, nor for a disabled user, and audits nothing', async (t) => {
    const test = await withAlice(t)
    await test.services.store.users.setDisabled(test.alice.id, true, new Date().toISOString())
    for (const email of ['nobody@example.com', ALICE]) {
      assert.equal((await forgot(test.app, email)).statusCode, 202)
    }
    // Only the verification link of alice's registration is in the outbox.
    assert.deepEqual(
      (await outbox(test.services)).map((m) => m.kind),
      ['verify_email'],
    )
    assert.deepEqual(
      await test.services.audit.list({ type: 'password.reset_requested', limit: 5 }),
      [],
    )
  })

  it('refuses what is not an address, a malformed body and other media types', async (t) => {
    const { app } = await withAlice(t)
    assertError(await forgot(app, 'not an address'), 400, 'invalid_request')
    const cases = [
      { payload: { email: ALICE, extra: 1 }, status: 400, error: 'invalid_request' },
      { payload: {}, status: 400, error: 'invalid_request' },
      { payload: { email: 7 }, status: 400, error: 'invalid_request' },
      { payload: { email: `${'a'.repeat(320)}@x.io` }, status: 400, error: 'invalid_request' },
    ]
    for (const { payload, status, error } of cases) {
      const res = await app.inject({ method: 'POST', url: '/password/forgot', payload })
      assertError(res, status, error)
    }
    const form = await app.inject({
      method: 'POST',
      url: '/password/forgot',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${encodeURIComponent(ALICE)}`,
    })
    assertError(form, 415, 'unsupported_media_type')
  })

  it('is absent while the email flows are off', async (t) => {
    const { app } = await withAlice(t, { PORTCULLIS_EMAIL_FLOWS: 'false' })
    assertError(await forgot(app, ALICE), 404, 'not_found')
  })
})

describe('POST /password/reset', () => {
  it('sets the new password once: 204, a notice, the audit; the token is single-use', async (t) => {
    const test = await withAlice(t)
    const token = await linkFor(test)
    const res = await resetPassword(test.app, token)
    assert.equal(res.statusCode, 204)
    assert.equal(res.body, '')
    await login(test.app, 'alice', NEW_PASSWORD)
    assert.equal(
      (await postToken(test.app, { username: 'alice', password: PASSWORD })).statusCode,
      400,
    )
    const notices = await messages(test.services, 'password_changed', ALICE)
    assert.equal(notices.length, 1)
    assert.doesNotMatch(notices[0]?.textBody ?? '', /token=/)
    const audit = await test.services.audit.list({ type: 'password.reset', limit: 5 })
    assert.deepEqual(
      audit.map((r) => r.userId),
      [test.alice.id],
    )
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(token))
    const again = await resetPassword(test.app, token, 'yet another good passphrase')
    assertError(again, 400, 'invalid_token')
    assert.equal(
      again.json().error_description,
      'the link is invalid or has expired; ask for a new one',
    )
    await login(test.app, 'alice', NEW_PASSWORD)
  })

  it('lets exactly one of many concurrent resets with one token through, round after round', async (t) => {
    const test = await withAlice(t)
    for (let round = 0; round < 3; round++) {
      const token = await linkFor(test)
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          resetPassword(test.app, token, `${NEW_PASSWORD} ${round}.${i}`),
        ),
      )
      const statuses = answers.map((r) => r.statusCode).sort()
      assert.deepEqual(statuses, [204, 400, 400, 400, 400, 400, 400, 400], `round ${round}`)
      for (const r of answers.filter((a) => a.statusCode === 400))
        assertError(r, 400, 'invalid_token')
      const winner = answers.findIndex((r) => r.statusCode === 204)
      await login(test.app, 'alice', `${NEW_PASSWORD} ${round}.${winner}`)
    }
    assert.equal((await messages(test.services, 'password_changed', ALICE)).length, 3)
  })

  it('applies the password policy, naming the rule, and leaves the token usable', async (t) => {
    const test = await withAlice(t)
    const token = await linkFor(test)
    const rules: [string, RegExp][] = [
      ['short', /at least 15 characters/],
      ['1QAZ2WSX3EDC4RFV', /too common/],
      ['alice alice alice alice', /must not contain the username/],
    ]
    for (const [password, rule] of rules) {
      const res = await resetPassword(test.app, token, password)
      assertError(res, 400, 'invalid_request')
      assert.match(res.json().error_description, rule)
    }
    assert.equal((await resetPassword(test.app, token)).statusCode, 204)
  })

  it('answers every unusable token alike: unknown, expired, wrong type, voided by a newer link', async (t) => {
    const test = await withAlice(t)
    const { app, services, clock } = test
    const description = 'the link is invalid or has expired; ask for a new one'
    const invalid = async (token: string, what: string) => {
      const res = await resetPassword(app, token)
      assertError(res, 400, 'invalid_token')
      assert.equal(res.json().error_description, description, what)
    }
    await invalid('A'.repeat(43), 'unknown')
    await invalid('', 'empty')

    // Expiry: 30 minutes by default.
    const expiring = await linkFor(test)
    clock.advance(30 * MINUTE + 1000)
    await invalid(expiring, 'expired')

    // A verification token is not a reset token.
    const user = await services.store.users.findById(test.alice.id)
    assert.ok(user?.emailCanonical && user.email)
    await services.emailTokens.issue('verify_email', user, user.email, user.emailCanonical)
    await invalid(tokenOf((await messages(services, 'verify_email', ALICE)).at(-1)), 'verify_email')

    // A newer link voids the older one.
    const older = await linkFor(test)
    const newer = await linkFor(test)
    assert.notEqual(older, newer)
    await invalid(older, 'older')
    assert.equal((await resetPassword(app, newer)).statusCode, 204)
  })

  it('dies with a disabled user', async (t) => {
    const test = await withAlice(t)
    const token = await linkFor(test)
    await test.services.store.users.setDisabled(test.alice.id, true, new Date().toISOString())
    assertError(await resetPassword(test.app, token), 400, 'invalid_token')
  })

  it('ends every session at once: access tokens 401 at /users/me, refresh tokens invalid_grant', async (t) => {
    const test = await withAlice(t)
    const sessions = []
    for (let i = 0; i < 2; i++) {
      const res = await postToken(test.app, { username: 'alice', password: PASSWORD })
      assert.equal(res.statusCode, 200)
      sessions.push(res.json() as { access_token: string; refresh_token: string })
    }
    for (const s of sessions)
      assert.equal((await getMe(test.app, `Bearer ${s.access_token}`)).statusCode, 200)
    assert.equal((await resetPassword(test.app, await linkFor(test))).statusCode, 204)
    for (const s of sessions) {
      assertError(await getMe(test.app, `Bearer ${s.access_token}`), 401, 'invalid_token')
      const refreshed = await postToken(test.app, {
        grant_type: 'refresh_token',
        refresh_token: s.refresh_token,
      })
      assertError(refreshed, 400, 'invalid_grant')
    }
  })

  it('clears the account’s login throttle so the owner gets in at once, from any IP', async (t) => {
    const limits = {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_LOGIN_DELAY_AFTER: '5',
      PORTCULLIS_LOGIN_SLOW_AFTER: '20',
    }
    const test = await withAlice(t, limits)
    const wrong = { username: 'alice', password: 'definitely not the password' }
    const from = (ip: string) => ({ remoteAddress: ip })
    for (let i = 0; i < 5; i++) await postToken(test.app, wrong, {}, from('198.51.100.1'))
    for (let i = 0; i < 15; i++) await postToken(test.app, wrong, {}, from(`198.51.100.${10 + i}`))
    // Blocked now: the pair of the first IP, and the account for an unknown device elsewhere.
    const right = { username: 'alice', password: PASSWORD }
    assertError(
      await postToken(test.app, right, {}, from('198.51.100.1')),
      429,
      'too_many_requests',
    )
    assertError(await postToken(test.app, right, {}, from('203.0.113.5')), 429, 'too_many_requests')

    assert.equal((await resetPassword(test.app, await linkFor(test))).statusCode, 204)
    const fresh = { username: 'alice', password: NEW_PASSWORD }
    for (const ip of ['198.51.100.1', '198.51.100.24', '203.0.113.5']) {
      assert.equal((await postToken(test.app, fresh, {}, from(ip))).statusCode, 200, ip)
    }
  })

  it('refuses malformed bodies and other media types', async (t) => {
    const { app } = await withAlice(t)
    const cases = [
      { token: 'x' },
      { new_password: NEW_PASSWORD },
      { token: 'x', new_password: NEW_PASSWORD, extra: true },
      { token: 'x'.repeat(257), new_password: NEW_PASSWORD },
      { token: 1, new_password: NEW_PASSWORD },
    ]
    for (const payload of cases) {
      const res = await app.inject({ method: 'POST', url: '/password/reset', payload })
      assertError(res, 400, 'invalid_request')
    }
    const form = await app.inject({
      method: 'POST',
      url: '/password/reset',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=x&new_password=y',
    })
    assertError(form, 415, 'unsupported_media_type')
  })
})

describe('a password change and the admin', () => {
  it('PUT /users/me/password sends a notice and voids outstanding reset links', async (t) => {
    const test = await withAlice(t)
    const token = await linkFor(test)
    const access = await login(test.app, 'alice')
    const res = await test.app.inject({
      method: 'PUT',
      url: '/users/me/password',
      headers: { authorization: `Bearer ${access}` },
      payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    })
    assert.equal(res.statusCode, 204)
    const notices = await messages(test.services, 'password_changed', ALICE)
    assert.equal(notices.length, 1)
    assertError(
      await resetPassword(test.app, token, 'the attacker wanted this one'),
      400,
      'invalid_token',
    )
    await login(test.app, 'alice', NEW_PASSWORD)
  })

  it('a user without an address changes the password with no notice', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'bob')
    const access = await login(app, 'bob')
    const res = await app.inject({
      method: 'PUT',
      url: '/users/me/password',
      headers: { authorization: `Bearer ${access}` },
      payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    })
    assert.equal(res.statusCode, 204)
    assert.deepEqual(await outbox(services), [])
  })

  it('an admin sends a reset link (202), audited; 404 unknown, 409 no address, 400 disabled', async (t) => {
    const test = await withAlice(t)
    const { app, services } = test
    const admin = await adminLogin(test)
    const send = (id: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/users/${id}/password/reset`,
        headers: { authorization: `Bearer ${admin.token}` },
      })
    const res = await send(test.alice.id)
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), { message: 'a reset link is on its way to the user’s address' })
    const token = await newestResetToken(services, ALICE)
    const audit = await services.audit.list({ type: 'admin.user.reset_link', limit: 5 })
    assert.deepEqual(
      audit.map((r) => [r.userId, r.actorId]),
      [[test.alice.id, admin.id]],
    )
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(token))

    assertError(await send('00000000-0000-0000-0000-000000000000'), 404, 'not_found')
    const bob = await registerUser(app, 'bob')
    const noEmail = await send(bob.id)
    assertError(noEmail, 409, 'no_email')
    assert.equal(
      noEmail.json().error_description,
      'the user has no email address to send a reset link to',
    )
    await services.store.users.setDisabled(test.alice.id, true, new Date().toISOString())
    assertError(await send(test.alice.id), 400, 'invalid_request')

    const user = await login(app, 'bob')
    const forbidden = await app.inject({
      method: 'POST',
      url: `/admin/users/${test.alice.id}/password/reset`,
      headers: { authorization: `Bearer ${user}` },
    })
    assertError(forbidden, 403, 'insufficient_scope')
  })

  it('an admin setting the password voids outstanding reset links', async (t) => {
    const test = await withAlice(t)
    const token = await linkFor(test)
    await test.services.userAdmin.setPassword(test.alice.id, NEW_PASSWORD, { id: 'cli' })
    assertError(
      await resetPassword(test.app, token, 'the attacker wanted this one'),
      400,
      'invalid_token',
    )
  })
})
