import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startTimers } from '../src/timers.js'
import { buildTestApp } from './helpers.js'

describe('the process timers (startTimers)', () => {
  it('purge every PORTCULLIS_PURGE_INTERVAL, reload the keys every PORTCULLIS_KEY_RELOAD_SECONDS, send mail every PORTCULLIS_MAIL_POLL_SECONDS, and stop', async (t) => {
    const { services } = await buildTestApp(t, {
      env: {
        PORTCULLIS_PURGE_INTERVAL: '60',
        PORTCULLIS_KEY_RELOAD_SECONDS: '20',
        PORTCULLIS_MAIL_POLL_SECONDS: '30',
      },
    })
    const mail = t.mock.method(services.mailSender, 'runOnce', async () => ({
      sent: 0,
      retrying: 0,
      failed: 0,
    }))
    const purge = t.mock.method(services.sessions, 'purge', async () => 0)
    const auditPurge = t.mock.method(services.audit, 'purge', async () => 0)
    const reload = t.mock.method(services.keyring, 'load', async () => {})
    const mailPurge = t.mock.method(services.store.outbox, 'purge', async () => 0)
    // Everything the timers call answers at once, so each run ends before the next is due.
    t.mock.method(services.machineTokens, 'purge', async () => 0)
    t.mock.method(services.throttle, 'purge', async () => 0)
    t.mock.method(services.store.emailTokens, 'purge', async () => 0)
    t.mock.method(services.store.users, 'maxLegacyCost', async () => null)
    t.mock.timers.enable({ apis: ['setInterval'] })
    // Advances the mocked clock, letting each run finish before the next is due.
    const advance = async (seconds: number) => {
      for (let s = 0; s < seconds; s += 10) {
        t.mock.timers.tick(10_000)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    const timers = startTimers(services)
    await advance(20)
    assert.equal(reload.mock.callCount(), 1)
    assert.equal(purge.mock.callCount(), 0)
    await advance(40)
    assert.equal(reload.mock.callCount(), 3)
    assert.equal(purge.mock.callCount(), 1)
    assert.deepEqual(auditPurge.mock.calls[0]?.arguments, [365])
    assert.equal(mailPurge.mock.callCount(), 1)
    assert.equal(mail.mock.callCount(), 2)
    await timers.stop()
    await advance(600)
    assert.equal(reload.mock.callCount(), 3)
    assert.equal(purge.mock.callCount(), 1)
    assert.equal(mail.mock.callCount(), 2)
  })
  it('never runs the console sender in production: queued mail stays queued', async (t) => {
    const { services } = await buildTestApp(t, { env: { PORTCULLIS_MAIL_POLL_SECONDS: '1' } })
    const mail = t.mock.method(services.mailSender, 'runOnce', async () => ({
      sent: 0,
      retrying: 0,
      failed: 0,
    }))
    t.mock.timers.enable({ apis: ['setInterval'] })
    // As loadConfig allows in production only with PORTCULLIS_EMAIL_FLOWS=false.
    const production = { ...services.config, env: 'production' as const }
    const timers = startTimers({ ...services, config: production })
    t.mock.timers.tick(5000)
    await new Promise((resolve) => setImmediate(resolve))
    await timers.stop()
    assert.equal(mail.mock.callCount(), 0)
    assert.equal(services.config.mail.delivery.smtpUrl, null)
  })
})
