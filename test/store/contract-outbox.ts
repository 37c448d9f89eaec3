/** The Store contract for the mail outbox: leased claims, retries, give-ups, status. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type OutboxRecord, UniqueViolationError } from '../../src/store/store.js'
import { type Fresh, minute, T0, T1, T2 } from './contract-helpers.js'
import { type FreshPair, messageId, newMessage } from './contract-mail-helpers.js'

const ids = (messages: OutboxRecord[]) => messages.map((m) => m.id)

export function outboxContract(fresh: Fresh, freshPair: FreshPair): void {
  describe('mail outbox', () => {
    it('claims due messages oldest first, up to the limit, each for one worker at a time', async (t) => {
      const store = await fresh(t)
      for (const id of ['m-3', 'm-1', 'm-2', 'm-4']) await store.outbox.enqueue(newMessage(id))
      await store.outbox.enqueue(newMessage('m-later', { nextAttemptAt: T1 }))
      const first = await store.outbox.claim(T0, 'worker-a', T1, 2)
      assert.deepEqual(ids(first), ['m-1', 'm-2'])
      assert.deepEqual(first[0], { ...newMessage('m-1'), claimedBy: 'worker-a', claimedUntil: T1 })
      assert.deepEqual(ids(await store.outbox.claim(T0, 'worker-b', T1, 10)), ['m-3', 'm-4'])
      assert.deepEqual(await store.outbox.claim(T0, 'worker-c', T1, 10), [], 'all held')
      // At T1 every lease has run out and m-later is due: a live worker takes them all over.
      const retaken = await store.outbox.claim(T1, 'worker-c', T2, 10)
      assert.deepEqual(ids(retaken), ['m-1', 'm-2', 'm-3', 'm-4', 'm-later'])
      // The worker whose lease ran out and was taken over can no longer settle the message.
      assert.equal(await store.outbox.markSent('m-1', 'worker-a', T1), false)
      assert.equal(await store.outbox.markFailed('m-3', 'worker-b', T1, '421', T2), false)
      assert.equal(await store.outbox.markSent('m-1', 'worker-c', T1), true)
      assert.deepEqual(await store.outbox.claim(minute(9), 'worker-d', T2, 10), [], 'leases live')
    })

    it('marks a message sent only for its holder, clearing its bodies and its claim', async (t) => {
      const store = await fresh(t)
      await store.outbox.enqueue(newMessage('m'))
      await store.outbox.claim(T0, 'worker-a', T1, 10)
      assert.equal(await store.outbox.markSent('m', 'worker-b', T0), false, 'not the holder')
      assert.equal(await store.outbox.markFailed('m', 'worker-b', T0, 'x', null), false)
      assert.equal(await store.outbox.markSent('m', 'worker-a', T0), true)
      assert.equal(await store.outbox.markSent('m', 'worker-a', T0), false, 'already sent')
      assert.equal(await store.outbox.markFailed('m', 'worker-a', T0, 'x', null), false)
      assert.equal(await store.outbox.markSent('unknown', 'worker-a', T0), false)
      const [sent] = await store.outbox.page(null, 10)
      assert.deepEqual(sent, {
        ...newMessage('m'),
        textBody: '',
        htmlBody: '',
        sentAt: T0,
      })
      assert.deepEqual(await store.outbox.claim(T2, 'worker-c', T2, 10), [], 'never sent again')
    })

    it('retries a failed message at its next attempt time, or gives it up clearing its bodies', async (t) => {
      const store = await fresh(t)
      await store.outbox.enqueue(newMessage('retry'))
      await store.outbox.enqueue(newMessage('give-up'))
      await store.outbox.claim(T0, 'worker-a', T2, 10)
      assert.equal(await store.outbox.markFailed('retry', 'worker-a', T0, '421 busy', T1), true)
      assert.equal(
        await store.outbox.markFailed('give-up', 'worker-a', T0, '550 no user', null),
        true,
      )
      const [giveUp, retry] = await store.outbox.page(null, 10)
      assert.deepEqual(retry, {
        ...newMessage('retry'),
        attempts: 1,
        nextAttemptAt: T1,
        lastError: '421 busy',
      })
      assert.deepEqual(giveUp, {
        ...newMessage('give-up'),
        textBody: '',
        htmlBody: '',
        attempts: 1,
        failedAt: T0,
        lastError: '550 no user',
      })
      assert.deepEqual(await store.outbox.claim(minute(4), 'worker-b', T2, 10), [], 'not yet due')
      const again = await store.outbox.claim(T1, 'worker-b', T2, 10)
      assert.deepEqual(ids(again), ['retry'], 'the given-up message is never claimed again')
      assert.equal(again[0]?.textBody, newMessage('retry').textBody, 'bodies kept for the retry')
      assert.equal(await store.outbox.markFailed('retry', 'worker-b', T1, '421 again', T2), true)
      assert.equal((await store.outbox.page('give-up', 10))[0]?.attempts, 2)
    })

    it('counts messages by state and lists recent failures without their bodies', async (t) => {
      const store = await fresh(t)
      assert.deepEqual(await store.outbox.status(5), {
        pending: 0,
        retrying: 0,
        sent: 0,
        failed: 0,
        recentFailures: [],
      })
      for (let i = 0; i < 7; i++) await store.outbox.enqueue(newMessage(`m-${i}`))
      await store.outbox.claim(T0, 'w', T2, 7)
      await store.outbox.markSent('m-0', 'w', T0)
      await store.outbox.markFailed('m-1', 'w', minute(1), '550 first', null)
      await store.outbox.markFailed('m-2', 'w', minute(3), '550 newest', null)
      await store.outbox.markFailed('m-3', 'w', minute(2), '552 middle', null)
      await store.outbox.markFailed('m-4', 'w', T0, '421 later', T1)
      const status = await store.outbox.status(2)
      assert.deepEqual(status, {
        pending: 3,
        retrying: 1,
        sent: 1,
        failed: 3,
        recentFailures: [
          {
            id: 'm-2',
            kind: 'reset_password',
            recipient: 'someone@example.com',
            createdAt: T0,
            attempts: 1,
            failedAt: minute(3),
            lastError: '550 newest',
          },
          {
            id: 'm-3',
            kind: 'reset_password',
            recipient: 'someone@example.com',
            createdAt: T0,
            attempts: 1,
            failedAt: minute(2),
            lastError: '552 middle',
          },
        ],
      })
    })

    it('purges sent and given-up messages by their own cut-offs, never pending ones', async (t) => {
      const store = await fresh(t)
      const records = [
        newMessage('sent-early', { sentAt: T0, textBody: '', htmlBody: '' }),
        newMessage('sent-early-2', { sentAt: T0, textBody: '', htmlBody: '' }),
        newMessage('sent-late', { sentAt: T2, textBody: '', htmlBody: '' }),
        newMessage('failed-early', { failedAt: T0, attempts: 5, lastError: '550' }),
        newMessage('failed-mid', { failedAt: T1, attempts: 5, lastError: '550' }),
        newMessage('pending-old', { createdAt: T0, nextAttemptAt: T0, attempts: 3 }),
      ]
      for (const r of records) await store.outbox.insertRecord(r)
      // Sent before T2, failed before T1: three rows, in batches of two.
      assert.equal(await store.outbox.purge(T2, T1, 2), 2)
      assert.equal(await store.outbox.purge(T2, T1, 2), 1)
      assert.equal(await store.outbox.purge(T2, T1, 2), 0)
      assert.deepEqual(ids(await store.outbox.page(null, 10)), [
        'failed-mid',
        'pending-old',
        'sent-late',
      ])
    })

    it('pages messages in id order and inserts complete rows back, for copying', async (t) => {
      const store = await fresh(t)
      const records = [
        newMessage('c', { sentAt: T1, textBody: '', htmlBody: '' }),
        newMessage('a', { claimedBy: 'w', claimedUntil: T2, attempts: 2, lastError: '421' }),
        newMessage('B'),
        newMessage('b-2', {
          failedAt: T1,
          attempts: 1,
          lastError: '550',
          textBody: '',
          htmlBody: '',
        }),
        newMessage('b_1', { nextAttemptAt: T2 }),
      ]
      for (const r of records) await store.outbox.insertRecord(r)
      const seen: OutboxRecord[] = []
      let after: string | null = null
      for (;;) {
        const page = await store.outbox.page(after, 2)
        if (page.length === 0) break
        seen.push(...page)
        after = page.at(-1)?.id ?? null
      }
      assert.deepEqual(
        seen,
        [...records].sort((a, b) => (a.id < b.id ? -1 : 1)),
      )
      // The same message again changes nothing; another one with a taken id is refused.
      await store.outbox.enqueue(newMessage('B'))
      await assert.rejects(
        store.outbox.enqueue(newMessage('B', { subject: 'Another message' })),
        (error) => error instanceof UniqueViolationError && error.field === 'id',
      )
      await assert.rejects(store.outbox.insertRecord(newMessage('c')), UniqueViolationError)
      assert.deepEqual(await store.outbox.page(null, 10), seen)
    })

    it('gives each of 60 due messages to exactly one of many workers on two instances, 10 times over', async (t) => {
      const [one, two] = await freshPair(t)
      for (let round = 0; round < 10; round++) {
        const all = Array.from({ length: 60 }, (_, i) => messageId(round, i))
        for (const id of all) await one.outbox.enqueue(newMessage(id))
        const claimed: string[] = []
        // Three workers per instance, each claiming batches of 7 until nothing is left.
        const worker = async (store: typeof one, name: string) => {
          for (;;) {
            const batch = await store.outbox.claim(T0, name, T1, 7)
            if (batch.length === 0) return
            for (const m of batch) {
              assert.equal(m.claimedBy, name)
              claimed.push(m.id)
            }
          }
        }
        await Promise.all(
          [one, two].flatMap((store, s) =>
            [0, 1, 2].map((w) => worker(store, `r${round}-s${s}-w${w}`)),
          ),
        )
        assert.equal(claimed.length, 60, `round ${round}: ${claimed.length} claims`)
        assert.deepEqual([...claimed].sort(), all, `round ${round}: each message once`)
        // Settle the round, so the next one starts with only its own messages due.
        for (const m of await one.outbox.page(messageId(round, -1), 60)) {
          assert.equal(await two.outbox.markSent(m.id, m.claimedBy ?? '', T0), true)
        }
      }
    })
  })
}
