import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import type { LoginOutcome } from '../../src/auth/browser-sessions.js'
import { grantHarness, PASSWORD, rejectsWith } from './grants-support.js'

const from = { ip: '192.0.2.10', userAgent: 'browser-sessions-test' }
const minute = 60_000
const idle = 86400 * 1000
const absolute = 7 * 86400 * 1000

function signedIn(outcome: LoginOutcome) {
  assert.ok(outcome.ok, `expected a login, got ${JSON.stringify(outcome)}`)
  return outcome
}

describe('BrowserSessions', () => {
  it('signs in with a 256-bit cookie, stores only its SHA-256, and audits the login', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const start = h.clock.now()
    const { cookie, login } = signedIn(
      await h.services.browserSessions.login('alice', PASSWORD, { ...from, clientId: 'web' }),
    )
    assert.match(cookie, /^[A-Za-z0-9_-]{43}$/)
    const stored = await h.services.browserSessions.findById(login.session.id)
    assert.ok(stored)
    assert.match(stored.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.equal(stored.secretHash, createHash('sha256').update(cookie).digest('base64url'))
    assert.equal(stored.userId, id)
    assert.deepEqual(stored.amr, ['pwd'])
    assert.equal(stored.authTime, new Date(start).toISOString())
    assert.equal(stored.idleExpiresAt, new Date(start + idle).toISOString())
    assert.equal(stored.absoluteExpiresAt, new Date(start + absolute).toISOString())
    assert.equal(stored.endedAt, null)
    assert.deepEqual(await h.audit('login.success'), [
      {
        userId: id,
        ip: from.ip,
        detail: { browser_session_id: stored.id, amr: ['pwd'] },
      },
    ])
    const current = await h.services.browserSessions.current(cookie)
    assert.equal(current?.session.id, stored.id)
    assert.equal(current?.user.id, id)
  })

  it('refuses an unknown user, a wrong password and a disabled account with one answer', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const sessions = h.services.browserSessions
    assert.deepEqual(await sessions.login('alice', 'wrong password here', from), {
      ok: false,
      reason: 'invalid',
    })
    assert.deepEqual(await sessions.login('nobody', PASSWORD, from), {
      ok: false,
      reason: 'invalid',
    })
    await h.services.userAdmin.setDisabled(id, true, { id: 'test' })
    assert.deepEqual(await sessions.login('alice', PASSWORD, from), {
      ok: false,
      reason: 'invalid',
    })
    const reasons = (await h.audit('login.failure')).map((r) => r.detail?.reason)
    assert.deepEqual(reasons, ['bad_password', 'unknown_user', 'disabled'])
  })

  it('refuses a right password of an unverified address when verified addresses are required', async (t) => {
    const h = await grantHarness(t, { PORTCULLIS_REQUIRE_VERIFIED_EMAIL: 'true' })
    await h.register('alice', { email: 'alice@example.com' })
    assert.deepEqual(await h.services.browserSessions.login('alice', PASSWORD, from), {
      ok: false,
      reason: 'email_not_verified',
    })
  })

  it('shares the login throttle with the password grant: failures at one lock the other', async (t) => {
    const h = await grantHarness(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_LOGIN_DELAY_AFTER: '2',
    })
    await h.register('alice')
    await h.register('bob')
    const sessions = h.services.browserSessions
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await sessions.login('alice', 'wrong password here', from), {
        ok: false,
        reason: 'invalid',
      })
    }
    const right = { username: 'alice', password: PASSWORD }
    const blocked = await rejectsWith(
      h.services.grants.issue('password', right, h.context()),
      'too_many_requests',
    )
    assert.equal(blocked.headers['retry-after'], '60')
    // And the other way round: failures at /token lock the page.
    const wrong = { username: 'bob', password: 'wrong password here' }
    for (let i = 0; i < 2; i++) {
      await rejectsWith(h.services.grants.issue('password', wrong, h.context()), 'invalid_grant')
    }
    assert.deepEqual(await sessions.login('bob', PASSWORD, from), {
      ok: false,
      reason: 'throttled',
      retryAfterSeconds: 60,
    })
    h.clock.advance(minute)
    signedIn(await sessions.login('bob', PASSWORD, from))
  })

  it('current: null for no cookie, a malformed or unknown one', async (t) => {
    const h = await grantHarness(t)
    const sessions = h.services.browserSessions
    assert.equal(await sessions.current(null), null)
    assert.equal(await sessions.current('short'), null)
    assert.equal(await sessions.current('A'.repeat(43)), null)
  })

  it('current moves the idle expiry at most once a minute, never past the absolute one', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const sessions = h.services.browserSessions
    const { cookie, login } = signedIn(await sessions.login('alice', PASSWORD, from))
    const created = login.session
    h.clock.advance(30_000)
    assert.deepEqual((await sessions.current(cookie))?.session, created)
    assert.deepEqual(await sessions.findById(created.id), created)
    h.clock.advance(31_000)
    const moved = await sessions.current(cookie)
    const at = h.clock.now()
    assert.equal(moved?.session.lastSeenAt, new Date(at).toISOString())
    assert.equal(moved?.session.idleExpiresAt, new Date(at + idle).toISOString())
    assert.deepEqual(await sessions.findById(created.id), moved?.session)
    // Used just before each idle expiry, it lives to the absolute expiry and no longer.
    while (h.clock.now() + idle - minute < Date.parse(created.absoluteExpiresAt)) {
      h.clock.advance(idle - minute)
      const live = await sessions.current(cookie)
      assert.ok(live)
      assert.ok(live.session.idleExpiresAt <= created.absoluteExpiresAt)
    }
    h.clock.advance(Date.parse(created.absoluteExpiresAt) - h.clock.now() - 1)
    assert.ok(await sessions.current(cookie))
    h.clock.advance(1)
    assert.equal(await sessions.current(cookie), null)
  })

  it('current: null once the idle lifetime passes unused', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const sessions = h.services.browserSessions
    const { cookie } = signedIn(await sessions.login('alice', PASSWORD, from))
    h.clock.advance(idle - 1)
    assert.ok(await sessions.current(cookie))
    h.clock.advance(idle)
    assert.equal(await sessions.current(cookie), null)
  })

  it('end: current is null afterwards, findById still finds it ended', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const sessions = h.services.browserSessions
    const { cookie, login } = signedIn(await sessions.login('alice', PASSWORD, from))
    assert.equal(await sessions.end(login.session.id), true)
    assert.equal(await sessions.end(login.session.id), false)
    assert.equal(await sessions.current(cookie), null)
    assert.equal(
      (await sessions.findById(login.session.id))?.endedAt,
      new Date(h.clock.now()).toISOString(),
    )
    assert.equal(await sessions.findById('00000000-0000-4000-8000-000000000000'), null)
  })

  it('ends with the user: disabling, a new password set by an operator, the operator ending the sessions', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const sessions = h.services.browserSessions
    const signIn = async () => signedIn(await sessions.login('alice', PASSWORD, from)).cookie

    const beforeDisable = await signIn()
    await h.services.userAdmin.setDisabled(id, true, { id: 'test' })
    assert.equal(await sessions.current(beforeDisable), null)
    await h.services.userAdmin.setDisabled(id, false, { id: 'test' })
    // Enabling again does not bring an ended session back.
    assert.equal(await sessions.current(beforeDisable), null)

    const beforeNewPassword = await signIn()
    await h.services.userAdmin.setPassword(id, `${PASSWORD} again`, { id: 'test' })
    assert.equal(await sessions.current(beforeNewPassword), null)

    const beforeEnd = await sessions.login('alice', `${PASSWORD} again`, from)
    await h.services.userAdmin.endSessions(id, { id: 'test' })
    assert.equal(await sessions.current(signedIn(beforeEnd).cookie), null)
  })
})
