import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/store/open-store.js'
import { testConfig } from '../helpers.js'
import { sharedDatabaseUrl } from '../support/engines.js'
import { startServer } from '../support/server-process.js'
import { startSmtp } from '../support/smtp.js'
import { outboxMessage } from './outbox-fixture.js'

describe('a server killed with SIGKILL while it sends', () => {
  it('loses no message: another process delivers it, exactly once, when the claim runs out', async (t) => {
    const smtp = await startSmtp(t)
    const databaseUrl = await sharedDatabaseUrl(t)
    const env = {
      ...smtp.serverEnv(),
      PORTCULLIS_DATABASE_URL: databaseUrl,
      PORTCULLIS_ISSUER: 'http://portcullis.test',
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      PORTCULLIS_MAIL_SEND_TIMEOUT: '1',
      PORTCULLIS_MAIL_POLL_SECONDS: '1',
      PORTCULLIS_MAIL_RETRY_SECONDS: '1',
    }
    smtp.mode = 'hang'
    const first = await startServer(env)
    // stop() of a process already killed by a signal would wait for a second exit.
    t.after(() => (first.child.signalCode ? undefined : first.stop('SIGKILL')))
    const config = testConfig({ PORTCULLIS_DATABASE_URL: databaseUrl })
    const store = await openStore(databaseUrl, config.store.pool)
    t.after(() => store.close())
    const message = outboxMessage(new Date().toISOString(), 1)
    await store.outbox.enqueue(message)

    // The first process has claimed the message and is inside DATA: kill it there.
    await smtp.waitForDataStarts(1)
    assert.equal(await first.stop('SIGKILL'), null)
    assert.equal(smtp.messages.length, 0)

    smtp.mode = 'accept'
    const second = await startServer(env)
    t.after(() => (second.child.exitCode === null ? second.stop() : undefined))
    const [got] = await smtp.waitForMessages(1)
    assert.equal(got?.subject, 'Message 1')
    // SIGTERM waits for the delivery in flight, so the outbox row is final once it exits.
    assert.equal(await second.stop(), 0)
    assert.equal(smtp.messages.length, 1)
    assert.equal(smtp.dataStarts, 2)
    const status = await store.outbox.status(1)
    assert.deepEqual([status.sent, status.pending, status.failed], [1, 0, 0])
  })
})
