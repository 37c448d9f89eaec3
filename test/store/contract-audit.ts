/** The Store contract for the audit trail that the admin API reads. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AuditFilter, Store } from '../../src/store/store.js'
import { type Fresh, minute, newEvent } from './contract-helpers.js'

/**
 * Twelve events one minute apart: users u1/u2/none in turn, types alternating between
 * login.success and login.failure.
 */
async function seed(store: Store) {
  const events = Array.from({ length: 12 }, (_, i) =>
    newEvent(i, {
      userId: [`u1`, 'u2', null][i % 3] ?? null,
      type: i % 2 ? 'login.failure' : 'login.success',
      outcome: i % 2 ? 'failure' : 'success',
    }),
  )
  // Inserted out of order: listing orders by id, not by insertion.
  for (const e of [...events].reverse()) await store.audit.insert(e)
  return events
}

export function auditContract(fresh: Fresh): void {
  describe('audit events', () => {
    const ids = (records: { id: string }[]) => records.map((r) => r.id)

    it('keeps every field, nulls and JSON detail included', async (t) => {
      const store = await fresh(t)
      const full = newEvent(1, {
        type: 'admin.user.disable',
        userId: 'u1',
        clientId: null,
        actorId: 'cli',
        ip: '2001:db8::1',
        userAgent: 'portcullis-cli',
        detail: JSON.stringify({ reason: 'left the company', n: 2 }),
      })
      const sparse = newEvent(2, {
        outcome: 'failure',
        clientId: null,
        ip: null,
        userAgent: null,
      })
      await store.audit.insert(full)
      await store.audit.insert(sparse)
      assert.deepEqual(await store.audit.list({ limit: 10 }), [sparse, full])
      assert.deepEqual(await store.audit.page(null, 10), [full, sparse])
    })

    it('lists newest first, up to the limit, filtered by user, type and time', async (t) => {
      const store = await fresh(t)
      const events = await seed(store)
      const list = async (filter: Omit<AuditFilter, 'limit'>, limit = 100) =>
        ids(await store.audit.list({ ...filter, limit }))
      const expect = (keep: (i: number) => boolean) =>
        events
          .filter((_, i) => keep(i))
          .map((e) => e.id)
          .reverse()
      assert.deepEqual(
        await list({}),
        expect(() => true),
      )
      assert.deepEqual(
        await list({}, 3),
        expect((i) => i >= 9),
      )
      assert.deepEqual(
        await list({ userId: 'u2' }),
        expect((i) => i % 3 === 1),
      )
      assert.deepEqual(
        await list({ type: 'login.failure' }),
        expect((i) => i % 2 === 1),
      )
      assert.deepEqual(
        await list({ since: minute(4) }),
        expect((i) => i >= 4),
      )
      assert.deepEqual(
        await list({ until: minute(4) }),
        expect((i) => i <= 4),
      )
      assert.deepEqual(
        await list({ since: minute(3), until: minute(7) }),
        expect((i) => i >= 3 && i <= 7),
      )
      assert.deepEqual(
        await list({ userId: 'u1', type: 'login.success', since: minute(1) }),
        expect((i) => i % 3 === 0 && i % 2 === 0 && i >= 1),
      )
      assert.deepEqual(await list({ userId: 'nobody' }), [])
      assert.deepEqual(await list({ since: minute(5), until: minute(4) }), [])
    })

    it('pages backwards with the beforeId cursor, alone and with a filter', async (t) => {
      const store = await fresh(t)
      const events = await seed(store)
      const walk = async (filter: Omit<AuditFilter, 'limit' | 'beforeId'>) => {
        const pages: string[][] = []
        let beforeId: string | undefined
        for (;;) {
          const page = await store.audit.list({ ...filter, beforeId, limit: 5 })
          if (page.length === 0) return pages
          pages.push(ids(page))
          beforeId = page.at(-1)?.id
        }
      }
      const all = await walk({})
      assert.deepEqual(
        all.map((p) => p.length),
        [5, 5, 2],
      )
      assert.deepEqual(all.flat(), ids(events).reverse())
      const failures = await walk({ type: 'login.failure' })
      assert.deepEqual(failures.flat(), ids(events.filter((_, i) => i % 2 === 1)).reverse())
      assert.deepEqual(
        ids(await store.audit.list({ beforeId: events[3]?.id, limit: 100 })),
        ids(events.slice(0, 3)).reverse(),
      )
    })

    it('purges events older than a time, oldest first, in batches', async (t) => {
      const store = await fresh(t)
      const events = await seed(store)
      assert.equal(await store.audit.purge(minute(7), 3), 3)
      assert.deepEqual(ids(await store.audit.page(null, 1)), [events[3]?.id])
      assert.equal(await store.audit.purge(minute(7), 3), 3)
      assert.equal(await store.audit.purge(minute(7), 3), 1)
      assert.equal(await store.audit.purge(minute(7), 3), 0)
      assert.deepEqual(ids(await store.audit.page(null, 100)), ids(events.slice(7)))
    })

    it('pages forwards in id order for copying', async (t) => {
      const store = await fresh(t)
      const events = await seed(store)
      const seen: string[] = []
      let after: string | null = null
      for (;;) {
        const page = await store.audit.page(after, 5)
        if (page.length === 0) break
        assert.ok(page.length <= 5)
        seen.push(...ids(page))
        after = page.at(-1)?.id ?? null
      }
      assert.deepEqual(seen, ids(events))
      assert.deepEqual(await store.audit.page(events[10]?.id ?? '', 5), [events[11]])
    })
  })
}
