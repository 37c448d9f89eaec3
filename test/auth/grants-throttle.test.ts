import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { grantHarness, PASSWORD, rejectsWith } from './grants-support.js'

// One failure per account and IP before the delay starts; the rest of the policy at defaults.
const throttled = { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_LOGIN_DELAY_AFTER: '2' }

describe('TokenGrants: password grant throttling', () => {
  it('blocks an account and IP after repeated failures, records the lockout once', async (t) => {
    const h = await grantHarness(t, throttled)
    const id = await h.register('alice')
    const wrong = { username: 'alice', password: 'wrong' }
    for (let i = 0; i < 2; i++) {
      await rejectsWith(h.services.grants.issue('password', wrong, h.context()), 'invalid_grant')
    }
    assert.deepEqual(await h.audit('login.lockout'), [
      { userId: id, ip: '192.0.2.10', detail: { lockouts: ['pair'] } },
    ])
    // Even the right password is not checked while the block lasts (RFC 6749 §4.3.2).
    const right = { username: 'alice', password: PASSWORD }
    const blocked = await rejectsWith(
      h.services.grants.issue('password', right, h.context()),
      'too_many_requests',
    )
    assert.equal(blocked.headers['retry-after'], '60')
    assert.equal((await h.audit('login.failure')).length, 2)
    // Another address is not delayed by this pair's failures.
    const elsewhere = h.context(undefined, { ip: '198.51.100.7' })
    assert.equal((await h.services.grants.issue('password', right, elsewhere)).token_type, 'Bearer')
    h.clock.advance(60_000)
    const later = await h.services.grants.issue('password', right, h.context())
    assert.equal(later.token_type, 'Bearer')
  })

  it('counts every spelling of an unknown login as one account', async (t) => {
    const h = await grantHarness(t, throttled)
    for (const username of ['Ghost', 'ＧＨＯＳＴ']) {
      const form = { username, password: 'wrong' }
      await rejectsWith(h.services.grants.issue('password', form, h.context()), 'invalid_grant')
    }
    const form = { username: 'ghost', password: 'wrong' }
    await rejectsWith(h.services.grants.issue('password', form, h.context()), 'too_many_requests')
  })

  it('counts a username and the email of one user as one account', async (t) => {
    const h = await grantHarness(t, throttled)
    await h.register('alice', { email: 'alice@example.com' })
    for (const username of ['ALICE', 'Alice@example.com']) {
      const form = { username, password: 'wrong' }
      await rejectsWith(h.services.grants.issue('password', form, h.context()), 'invalid_grant')
    }
    const form = { username: 'alice', password: PASSWORD }
    await rejectsWith(h.services.grants.issue('password', form, h.context()), 'too_many_requests')
  })

  it('returns a device token that exempts the device from the account-wide slow-down', async (t) => {
    const h = await grantHarness(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_LOGIN_SLOW_AFTER: '2',
    })
    await h.register('alice')
    const right = { username: 'alice', password: PASSWORD }
    const { device_token: deviceToken } = await h.services.grants.issue(
      'password',
      right,
      h.context(),
    )
    assert.match(String(deviceToken), /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/)
    // An attacker fails from two addresses: the account is slowed for unknown devices.
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      const form = { username: 'alice', password: 'wrong' }
      const context = h.context(undefined, { ip })
      await rejectsWith(h.services.grants.issue('password', form, context), 'invalid_grant')
    }
    await rejectsWith(h.services.grants.issue('password', right, h.context()), 'too_many_requests')
    const owner = h.context(undefined, { deviceToken })
    assert.equal((await h.services.grants.issue('password', right, owner)).token_type, 'Bearer')
  })

  it('throttles nothing and issues no device token where limits are off', async (t) => {
    const h = await grantHarness(t, { PORTCULLIS_LOGIN_DELAY_AFTER: '2' })
    await h.register('alice')
    for (let i = 0; i < 5; i++) {
      const form = { username: 'alice', password: 'wrong' }
      await rejectsWith(h.services.grants.issue('password', form, h.context()), 'invalid_grant')
    }
    const right = { username: 'alice', password: PASSWORD }
    const body = await h.services.grants.issue('password', right, h.context())
    assert.equal(body.device_token, undefined)
    assert.deepEqual(await h.audit('login.lockout'), [])
    assert.equal(await h.services.store.counters.get('ip:192.0.2.10'), null)
  })
})
