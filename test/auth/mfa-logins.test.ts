import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MfaLogins } from '../../src/auth/mfa/mfa-logins.js'
import type { MfaContext } from '../../src/auth/mfa/mfa-service.js'
import { sha256 } from '../../src/auth/sha256.js'
import type { UserRecord } from '../../src/store/store.js'
import { type GrantHarness, grantHarness, rejectsWith } from './grants-support.js'

const context: MfaContext = { clientId: null, ip: '192.0.2.10', userAgent: 'mfa-logins-test' }
const grant = { scope: 'profile email', resource: null }

/**
 * MfaLogins over the real store, throttle and audit log, with the second factor reduced to two
 * fixed codes (the TOTP and recovery-code checks have their own tests): the subject here is the
 * token's life, its binding, the attempt limit and the throttle.
 */
function logins(h: GrantHarness) {
  const checked: string[] = []
  const mfa = {
    hasFactor: async () => true,
    verifyCode: async (_user: UserRecord, code: string) => {
      checked.push(code)
      return code === '123456' ? ('totp' as const) : code === 'recovery-1' ? 'recovery_code' : null
    },
    confirmTotp: async () => [],
  }
  const { store, throttle, audit, clock } = h.services
  return { checked, logins: new MfaLogins({ store, mfa, throttle, audit, clock }) }
}

async function started(h: GrantHarness) {
  const id = await h.register('alice')
  const user = await h.services.store.users.findById(id)
  assert.ok(user)
  const { logins: service, checked } = logins(h)
  const token = await service.start(user, 'portcullis', grant, context)
  return { id, user, token, service, checked }
}

describe('MfaLogins', () => {
  it('starts with an opaque token stored only by its hash, then completes with a right code', async (t) => {
    const h = await grantHarness(t)
    const { id, token, service } = await started(h)
    assert.match(token, /^[A-Za-z0-9_-]{43}$/)
    const at = new Date(h.clock.now()).toISOString()
    const stored = await h.services.store.mfaTokens.findLive(sha256(token), 'portcullis', at)
    assert.equal(stored?.userId, id)
    assert.equal(stored?.expiresAt, new Date(h.clock.now() + 300_000).toISOString())
    assert.equal((await h.audit('mfa.required')).length, 1)
    h.clock.advance(30_000)
    const done = await service.complete(token, 'portcullis', '123456', context)
    assert.deepEqual(
      { user: done.user.id, scope: done.scope, resource: done.resource, amr: done.amr },
      { user: id, scope: 'profile email', resource: null, amr: ['pwd', 'otp', 'mfa'] },
    )
    // auth_time is the password's check, not the second step's.
    assert.equal(done.authTime, at)
    // Spent by the success.
    await rejectsWith(service.complete(token, 'portcullis', '123456', context), 'invalid_grant')
  })

  it('gives amr pwd mfa after a recovery code', async (t) => {
    const h = await grantHarness(t)
    const { token, service } = await started(h)
    const done = await service.complete(token, 'portcullis', 'recovery-1', context)
    assert.deepEqual(done.amr, ['pwd', 'mfa'])
  })

  it("checks the token is live and the client's before looking at the code", async (t) => {
    const h = await grantHarness(t)
    const { token, service, checked } = await started(h)
    await rejectsWith(service.complete(token, 'other-client', '123456', context), 'invalid_grant')
    await rejectsWith(
      service.complete('x'.repeat(43), 'portcullis', '123456', context),
      'invalid_grant',
    )
    await rejectsWith(service.complete('short', 'portcullis', '123456', context), 'invalid_grant')
    assert.deepEqual(checked, [])
    // Still live for its own client.
    assert.equal((await service.complete(token, 'portcullis', '123456', context)).amr[1], 'otp')
  })

  it('expires after 5 minutes', async (t) => {
    const h = await grantHarness(t)
    const { token, service, checked } = await started(h)
    h.clock.advance(300_000)
    await rejectsWith(
      service.complete(token, 'portcullis', '123456', context),
      'invalid_grant',
      /expired/,
    )
    assert.deepEqual(checked, [])
  })

  it('is spent by the fifth wrong code', async (t) => {
    const h = await grantHarness(t)
    const { token, service } = await started(h)
    for (let i = 1; i <= 4; i++) {
      await rejectsWith(
        service.complete(token, 'portcullis', '000000', context),
        'invalid_grant',
        /code is wrong or expired/,
      )
    }
    await rejectsWith(
      service.complete(token, 'portcullis', '000000', context),
      'invalid_grant',
      /spent/,
    )
    await rejectsWith(
      service.complete(token, 'portcullis', '123456', context),
      'invalid_grant',
      /sign in again/,
    )
  })

  it('lets exactly one of many concurrent right completions through', async (t) => {
    const h = await grantHarness(t)
    for (let round = 0; round < 5; round++) {
      const user = await h.services.users.register({
        username: `user${round}`,
        password: 'correct horse battery staple',
      })
      const record = await h.services.store.users.findById(user.id)
      assert.ok(record)
      const { logins: service } = logins(h)
      const token = await service.start(record, 'portcullis', grant, context)
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => service.complete(token, 'portcullis', '123456', context)),
      )
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    }
  })

  it('checks at most 5 of 20 concurrent wrong codes on one token, every round', async (t) => {
    const h = await grantHarness(t)
    for (let round = 0; round < 5; round++) {
      const user = await h.services.users.register({
        username: `guess${round}`,
        password: 'correct horse battery staple',
      })
      const record = await h.services.store.users.findById(user.id)
      assert.ok(record)
      const { logins: service, checked } = logins(h)
      const token = await service.start(record, 'portcullis', grant, context)
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          service.complete(token, 'portcullis', `${100000 + i}`, context),
        ),
      )
      assert.equal(checked.length, 5, `round ${round}: codes checked ${checked}`)
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 0)
      // The fifth wrong code spent the token: even the right code is refused now.
      await rejectsWith(
        service.complete(token, 'portcullis', '123456', context),
        'invalid_grant',
        /sign in again/,
      )
      assert.equal(checked.length, 5)
    }
  })

  it('throttles wrong codes per account apart from passwords, without touching the password counters', async (t) => {
    const h = await grantHarness(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_LOGIN_DELAY_AFTER: '2',
    })
    const { user, service } = await started(h)
    const token = await service.start(user, 'portcullis', grant, context)
    await rejectsWith(service.complete(token, 'portcullis', '000000', context), 'invalid_grant')
    await rejectsWith(service.complete(token, 'portcullis', '000000', context), 'invalid_grant')
    // A wrong code delays like a wrong password: even the right code waits now.
    const blocked = await rejectsWith(
      service.complete(token, 'portcullis', '123456', context),
      'too_many_requests',
    )
    assert.equal(blocked.headers['retry-after'], '60')
    // The password's own counters are untouched: the owner can still sign in with it.
    const right = { username: 'alice', password: 'correct horse battery staple' }
    assert.equal(
      (await h.services.grants.issue('password', right, h.context())).token_type,
      'Bearer',
    )
    h.clock.advance(60_000)
    assert.equal((await service.complete(token, 'portcullis', '123456', context)).amr[1], 'otp')
  })
})
