import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ApiError } from '../../src/errors.js'
import { buildTestApp, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { latestToken, outboxMessages } from '../support/outbox.js'

const meta = { ip: '192.0.2.1', userAgent: 'test' }

async function withAlice(testApp: TestApp, email = 'alice@example.com') {
  const { id } = await registerUser(testApp.app, 'alice', PASSWORD, { email })
  const user = await testApp.services.store.users.findById(id)
  assert.ok(user)
  return user
}

const isCode = (code: string, status: number) => (error: unknown) =>
  error instanceof ApiError && error.code === code && error.status === status

describe('EmailVerification', () => {
  it('lets exactly one of many concurrent redemptions of one link succeed, every time', async (t) => {
    const testApp = await buildTestApp(t)
    const { verification, store } = testApp.services
    const user = await withAlice(testApp)
    for (let round = 0; round < 10; round++) {
      await store.users.setEmailVerified(user.id, false, new Date().toISOString())
      await verification.resend(user, { ip: null, userAgent: null })
      const token = await latestToken(store, 'alice@example.com', 'verify_email')
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => verification.verify(token, meta)),
      )
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`)
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(isCode('invalid_token', 400)(r.reason))
      }
      assert.equal((await store.users.findById(user.id))?.emailVerified, true)
    }
  })

  it('changes the address once of many concurrent confirmations, with one notice', async (t) => {
    const testApp = await buildTestApp(t)
    const { verification, emailChange, store } = testApp.services
    const user = await withAlice(testApp)
    await emailChange.request(user, 'new@example.org', PASSWORD, meta)
    const token = await latestToken(store, 'new@example.org', 'confirm_email_change')
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => verification.verify(token, meta)),
    )
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    const notices = (await outboxMessages(store)).filter((m) => m.kind === 'email_changed')
    assert.equal(notices.length, 1)
    assert.equal(notices[0]?.recipient, 'alice@example.com')
    const events = await testApp.services.audit.list({ type: 'email.changed', limit: 10 })
    assert.equal(events.length, 1)
  })

  it('resend decides on the stored user, not a stale copy: nothing once verified', async (t) => {
    const testApp = await buildTestApp(t)
    const { verification, store } = testApp.services
    const stale = await withAlice(testApp)
    await store.users.setEmailVerified(stale.id, true, new Date().toISOString())
    await verification.resend(stale, meta)
    assert.equal((await outboxMessages(store)).length, 1)
  })

  it('refuses a change link whose user is gone', async (t) => {
    const testApp = await buildTestApp(t)
    const { verification, emailChange, store } = testApp.services
    const user = await withAlice(testApp)
    await emailChange.request(user, 'new@example.org', PASSWORD, meta)
    const token = await latestToken(store, 'new@example.org', 'confirm_email_change')
    await store.users.delete(user.id)
    await assert.rejects(verification.verify(token, meta), isCode('invalid_token', 400))
  })
})

describe('EmailChange', () => {
  it('checks the password before whether the address is taken', async (t) => {
    const testApp = await buildTestApp(t)
    const { emailChange } = testApp.services
    const user = await withAlice(testApp)
    await registerUser(testApp.app, 'bob', PASSWORD, { email: 'bob@example.com' })
    await assert.rejects(
      emailChange.request(user, 'bob@example.com', 'a wrong password here', meta),
      isCode('invalid_grant', 400),
    )
    await assert.rejects(
      emailChange.request(user, 'bob@example.com', PASSWORD, meta),
      isCode('email_taken', 409),
    )
  })

  it('binds the token to the new address as sent, and audits no token', async (t) => {
    const testApp = await buildTestApp(t)
    const { emailChange, store, audit } = testApp.services
    const user = await withAlice(testApp)
    await emailChange.request(user, 'New@Example.org', PASSWORD, meta)
    const token = await latestToken(store, 'New@Example.org', 'confirm_email_change')
    const [event] = await audit.list({ type: 'email.change_requested', limit: 1 })
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), {
      from: 'alice@example.com',
      to: 'New@Example.org',
    })
    assert.equal(event?.ip, meta.ip)
    assert.ok(!JSON.stringify(await audit.list({ limit: 100 })).includes(token))
  })
})
