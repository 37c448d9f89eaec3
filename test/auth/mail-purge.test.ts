import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { purgeMail } from '../../src/auth/housekeeping.js'
import type { EmailTokenRecord, OutboxRecord } from '../../src/store/store.js'
import { buildTestApp } from '../helpers.js'
import { newUser } from '../store/contract-helpers.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('purgeMail (housekeeping)', () => {
  it('deletes tokens dead for over a day, messages sent over 7 days ago and failures past the audit retention', async (t) => {
    const { services, clock } = await buildTestApp(t)
    const { store } = services
    const user = await store.users.create(newUser())
    const ago = (ms: number) => new Date(clock.now() - ms).toISOString()
    const token = (hash: string, expiresAt: string, usedAt: string | null): EmailTokenRecord => ({
      hash,
      purpose: 'reset_password',
      userId: user.id,
      email: user.email ?? '',
      emailCanonical: user.emailCanonical ?? '',
      createdAt: ago(40 * DAY),
      expiresAt,
      usedAt,
    })
    const kept = ['used-23h', 'expired-23h', 'live', 'live-b']
    for (const record of [
      token('used-25h', ago(-HOUR), ago(25 * HOUR)),
      token('used-23h', ago(-HOUR), ago(23 * HOUR)),
      token('expired-25h', ago(25 * HOUR), null),
      token('expired-23h', ago(23 * HOUR), null),
      token('expired-3d', ago(3 * DAY), null),
      token('live', ago(-HOUR), null),
      token('live-b', ago(-DAY), null),
    ])
      await store.emailTokens.insertRecord(record)
    const message = (id: string, fields: Partial<OutboxRecord>): OutboxRecord => ({
      id,
      kind: 'password_changed',
      recipient: 'someone@example.com',
      subject: 'Subject',
      textBody: '',
      htmlBody: '',
      createdAt: ago(400 * DAY),
      attempts: 0,
      nextAttemptAt: ago(400 * DAY),
      claimedBy: null,
      claimedUntil: null,
      sentAt: null,
      failedAt: null,
      lastError: null,
      ...fields,
    })
    for (const m of [
      message('sent-8d', { sentAt: ago(8 * DAY) }),
      message('sent-8d-b', { sentAt: ago(8 * DAY + HOUR) }),
      message('sent-6d', { sentAt: ago(6 * DAY) }),
      message('failed-8d', { failedAt: ago(8 * DAY), lastError: '550 no such user' }),
      message('failed-31d', { failedAt: ago(31 * DAY), lastError: '550 no such user' }),
      message('failed-29d', { failedAt: ago(29 * DAY), lastError: '550 no such user' }),
      // Never delivered yet, however old: never purged.
      message('pending-old', { attempts: 3, lastError: '421 try later' }),
    ])
      await store.outbox.insertRecord(m)

    // Batches of 2, so the purge has to go round more than once.
    assert.deepEqual(await purgeMail(store, clock, 30, 2), { emailTokens: 3, messages: 3 })
    const hashes = (await store.emailTokens.page(null, 100)).map((r) => r.hash)
    assert.deepEqual(hashes, [...kept].sort())
    const ids = (await store.outbox.page(null, 100)).map((r) => r.id)
    assert.deepEqual(ids, ['failed-29d', 'failed-8d', 'pending-old', 'sent-6d'])
    assert.deepEqual(await purgeMail(store, clock, 30, 2), { emailTokens: 0, messages: 0 })
  })
})
