import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { ManualClock } from '../../src/clock.js'
import type { Services } from '../../src/services.js'
import { buildTestApp } from '../helpers.js'
import { sharedDatabaseUrl } from '../support/engines.js'
import { type SmtpHarness, startSmtp } from '../support/smtp.js'
import { outboxMessage } from './outbox-fixture.js'

interface Fixture {
  services: Services
  clock: ManualClock
  smtp: SmtpHarness
  logs: () => string
  /** Enqueues message `n`, due now; returns its id. */
  enqueue: (n?: number) => Promise<string>
  row: (id: string) => Promise<ReturnType<typeof outboxMessage>>
}

async function fixture(t: TestContext, env: Record<string, string> = {}): Promise<Fixture> {
  const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'smtp-password-1' } })
  let logs = ''
  const { services, clock } = await buildTestApp(t, {
    env: { ...smtp.env(), PORTCULLIS_LOG_LEVEL: 'info', ...env },
    logStream: {
      write: (line: string) => {
        logs += line
      },
    },
  })
  const now = () => new Date(clock.now()).toISOString()
  return {
    services,
    clock,
    smtp,
    logs: () => logs,
    async enqueue(n = 0) {
      const message = outboxMessage(now(), n)
      await services.store.outbox.enqueue(message)
      return message.id
    },
    async row(id) {
      const [found] = await services.store.outbox
        .page(null, 1000)
        .then((all) => all.filter((m) => m.id === id))
      assert.ok(found, `outbox message ${id}`)
      return found
    },
  }
}

describe('the mail sender', () => {
  it('delivers an outbox message end to end and clears its bodies', async (t) => {
    const f = await fixture(t)
    const id = await f.enqueue(7)
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 1, retrying: 0, failed: 0 })
    const [got] = await f.smtp.waitForMessages(1)
    assert.deepEqual(got?.envelope.to, ['user7@example.test'])
    assert.equal(got?.subject, 'Message 7')
    assert.match(got?.text ?? '', /#token=secret-token-7/)
    assert.match(got?.html ?? '', /#token=secret-token-7/)
    const row = await f.row(id)
    assert.equal(row.sentAt, new Date(f.clock.now()).toISOString())
    assert.equal(row.textBody, '')
    assert.equal(row.htmlBody, '')
    assert.equal(row.claimedBy, null)
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 0, failed: 0 })
    assert.equal(f.smtp.dataStarts, 1)
    const logged = f.logs()
    assert.match(logged, new RegExp(`"outbox_id":"${id}"`))
    assert.match(logged, /"msg":"mail sent"/)
    assert.doesNotMatch(logged, /secret-token|user7@|smtp-password|Message 7/)
  })

  it('retries a temporary refusal after the backoff, doubling it, and delivers once', async (t) => {
    const f = await fixture(t, { PORTCULLIS_MAIL_RETRY_SECONDS: '30' })
    const id = await f.enqueue()
    f.smtp.mode = 'temporary'
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 1, failed: 0 })
    let row = await f.row(id)
    assert.equal(row.attempts, 1)
    assert.match(row.lastError ?? '', /^451 /)
    assert.equal(Date.parse(row.nextAttemptAt) - f.clock.now(), 30_000)
    f.clock.advance(29_999)
    await f.services.mailSender.runOnce()
    assert.equal(f.smtp.dataStarts, 1)
    f.clock.advance(1)
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 1, failed: 0 })
    row = await f.row(id)
    assert.equal(row.attempts, 2)
    assert.equal(Date.parse(row.nextAttemptAt) - f.clock.now(), 60_000)
    f.smtp.mode = 'accept'
    f.clock.advance(59_999)
    await f.services.mailSender.runOnce()
    assert.equal(f.smtp.dataStarts, 2)
    f.clock.advance(1)
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 1, retrying: 0, failed: 0 })
    await f.smtp.waitForMessages(1)
    f.clock.advance(3_600_000)
    await f.services.mailSender.runOnce()
    assert.equal(f.smtp.messages.length, 1)
    assert.equal(f.smtp.dataStarts, 3)
    assert.equal((await f.row(id)).attempts, 2)
    assert.match(f.logs(), /"smtp_code":451/)
  })

  it('gives up at once on a permanent refusal, keeps it visible, and clears its bodies', async (t) => {
    const f = await fixture(t)
    const id = await f.enqueue()
    f.smtp.mode = 'permanent'
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 0, failed: 1 })
    const row = await f.row(id)
    assert.equal(row.failedAt, new Date(f.clock.now()).toISOString())
    assert.equal(row.attempts, 1)
    assert.equal(row.textBody, '')
    assert.equal(row.htmlBody, '')
    f.smtp.mode = 'accept'
    f.clock.advance(86_400_000)
    await f.services.mailSender.runOnce()
    assert.equal(f.smtp.dataStarts, 1)
    const status = await f.services.store.outbox.status(10)
    assert.equal(status.failed, 1)
    assert.equal(status.pending, 0)
    assert.deepEqual(
      status.recentFailures.map((m) => [m.id, m.attempts, m.lastError?.slice(0, 4)]),
      [[id, 1, '550 ']],
    )
  })

  it('gives up after PORTCULLIS_MAIL_MAX_ATTEMPTS, the backoff capped at an hour', async (t) => {
    const f = await fixture(t, {
      PORTCULLIS_MAIL_MAX_ATTEMPTS: '4',
      PORTCULLIS_MAIL_RETRY_SECONDS: '1200',
    })
    const id = await f.enqueue()
    f.smtp.mode = 'temporary'
    const waits: number[] = []
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 1, failed: 0 })
      const row = await f.row(id)
      waits.push(Date.parse(row.nextAttemptAt) - f.clock.now())
      f.clock.advance(3_600_000)
    }
    assert.deepEqual(waits, [1_200_000, 2_400_000, 3_600_000])
    assert.deepEqual(await f.services.mailSender.runOnce(), { sent: 0, retrying: 0, failed: 1 })
    const row = await f.row(id)
    assert.equal(row.attempts, 4)
    assert.notEqual(row.failedAt, null)
    f.smtp.mode = 'accept'
    f.clock.advance(3_600_000)
    await f.services.mailSender.runOnce()
    assert.equal(f.smtp.dataStarts, 4)
    assert.equal(f.smtp.messages.length, 0)
  })

  it('stop waits for the delivery in flight', async (t) => {
    const f = await fixture(t, { PORTCULLIS_MAIL_SEND_TIMEOUT: '1' })
    await f.enqueue()
    f.smtp.mode = 'hang'
    const round = f.services.mailSender.runOnce()
    await f.smtp.waitForDataStarts(1)
    await f.services.mailSender.stop()
    // Settled (timed out and recorded) before stop resolved.
    assert.deepEqual(await round, { sent: 0, retrying: 1, failed: 0 })
    assert.equal((await f.services.store.outbox.status(1)).retrying, 1)
  })

  it('two senders on one database deliver each of 50 messages exactly once, round after round', async (t) => {
    const smtp = await startSmtp(t)
    const databaseUrl = await sharedDatabaseUrl(t)
    const env = smtp.env()
    const a = await buildTestApp(t, { env, databaseUrl })
    const b = await buildTestApp(t, { env, databaseUrl, clock: a.clock })
    assert.notEqual(a.services.mailSender.worker, b.services.mailSender.worker)
    const at = new Date(a.clock.now()).toISOString()
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 50; n++)
        await a.services.store.outbox.enqueue(outboxMessage(at, round * 50 + n))
      const [first, second] = await Promise.all([
        a.services.mailSender.runOnce(),
        b.services.mailSender.runOnce(),
      ])
      assert.equal((first?.sent ?? 0) + (second?.sent ?? 0), 50)
      const received = await smtp.waitForMessages((round + 1) * 50)
      const subjects = received.map((m) => m.subject)
      assert.equal(new Set(subjects).size, subjects.length, 'a message was delivered twice')
      assert.equal(smtp.dataStarts, (round + 1) * 50)
    }
    const status = await b.services.store.outbox.status(1)
    assert.deepEqual([status.sent, status.pending], [150, 0])
  })
})
