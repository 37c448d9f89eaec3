/** The Store contract for throttle counters: atomic counting, reservations, blocks, expiry. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Reservation } from '../../src/store/store.js'
import { type Fresh, T0, T1, T2 } from './contract-helpers.js'

const T3 = '2026-06-01T12:15:00.000Z'
const LATER = '2026-06-02T12:00:00.000Z'

/** `n` reservations of `key` at once; the counts of those that got through, sorted. */
async function concurrently(n: number, reserve: () => Promise<number | null>) {
  const counts = await Promise.all(Array.from({ length: n }, reserve))
  return counts.filter((c): c is number => c !== null).sort((a, b) => a - b)
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

export function countersContract(fresh: Fresh): void {
  describe('throttle counters', () => {
    it('counts within a window and restarts at 1 in a new one', async (t) => {
      const store = await fresh(t)
      assert.equal(await store.counters.increment('k', T0, T1), 1)
      assert.equal(await store.counters.increment('k', T0, T1), 2)
      assert.equal(await store.counters.increment('k', T1, T2), 1)
      assert.deepEqual(await store.counters.get('k'), {
        windowStart: T1,
        count: 1,
        blockedUntil: null,
        expiresAt: T2,
      })
      assert.equal(await store.counters.get('other'), null)
    })

    it('counts every one of many concurrent increments exactly once', async (t) => {
      const store = await fresh(t)
      for (let round = 0; round < 5; round++) {
        const counts = await Promise.all(
          Array.from({ length: 40 }, () => store.counters.increment(`c${round}`, T0, T1)),
        )
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          upTo(40),
        )
      }
    })

    it('blocks until a time, never shorter when a shorter block comes later, and resets', async (t) => {
      const store = await fresh(t)
      await store.counters.increment('b', T0, T1)
      await store.counters.block('b', T2)
      await store.counters.block('b', T1)
      assert.deepEqual(await store.counters.get('b'), {
        windowStart: T0,
        count: 1,
        blockedUntil: T2,
        expiresAt: T2,
      })
      await store.counters.block('fresh', T1)
      assert.equal((await store.counters.get('fresh'))?.blockedUntil, T1)
      await store.counters.reset('b')
      assert.equal(await store.counters.get('b'), null)
    })

    it('resets every key with a prefix, taking `%` and `_` literally, and no other', async (t) => {
      const store = await fresh(t)
      const keys = ['pair:u1:1.2.3.4', 'pair:u1:::1', 'pair:u10:x', 'pair:u1', 'a%b', 'axb', 'a_c']
      for (const key of [...keys, 'ayc']) await store.counters.increment(key, T0, T1)
      assert.equal(await store.counters.resetPrefix('pair:u1:'), 2)
      assert.equal(await store.counters.get('pair:u1:1.2.3.4'), null)
      assert.equal(await store.counters.get('pair:u1:::1'), null)
      assert.equal((await store.counters.get('pair:u10:x'))?.count, 1)
      assert.equal((await store.counters.get('pair:u1'))?.count, 1)
      assert.equal(await store.counters.resetPrefix('a%'), 1)
      assert.equal(await store.counters.resetPrefix('a_'), 1)
      assert.equal((await store.counters.get('axb'))?.count, 1)
      assert.equal((await store.counters.get('ayc'))?.count, 1)
      assert.equal(await store.counters.resetPrefix('nothing'), 0)
    })

    it('lets at most `limit` of many concurrent reservations through per window', async (t) => {
      const store = await fresh(t)
      for (let round = 0; round < 5; round++) {
        const key = `ip${round}`
        const at = (windowStart: string): Reservation => ({
          windowStart,
          now: windowStart,
          limit: 7,
          expiresAt: LATER,
        })
        assert.deepEqual(await concurrently(40, () => store.counters.reserve(key, at(T0))), upTo(7))
        assert.equal((await store.counters.get(key))?.count, 7, 'refusals change nothing')
        assert.deepEqual(await concurrently(40, () => store.counters.reserve(key, at(T1))), upTo(7))
      }
    })

    it('blocks at once from the count that earns it: concurrent reservations stop there', async (t) => {
      const store = await fresh(t)
      for (let round = 0; round < 5; round++) {
        const key = `pair${round}`
        const at = (now: string, until: string): Reservation => ({
          windowStart: 'consecutive',
          now,
          blocks: [{ fromCount: 5, until }],
          expiresAt: LATER,
        })
        assert.deepEqual(
          await concurrently(40, () => store.counters.reserve(key, at(T0, T1))),
          upTo(5),
        )
        assert.equal((await store.counters.get(key))?.blockedUntil, T1)
        // Once the block has passed, one more; its block (T2) replaces the ended one.
        assert.deepEqual(await concurrently(40, () => store.counters.reserve(key, at(T1, T2))), [6])
        assert.equal((await store.counters.get(key))?.blockedUntil, T2)
      }
    })

    it('never shortens a block with a reservation that earns a shorter one', async (t) => {
      const store = await fresh(t)
      const reservation = (until: string): Reservation => ({
        windowStart: 'consecutive',
        now: T0,
        ignoreBlock: true,
        blocks: [{ fromCount: 1, until }],
        expiresAt: LATER,
      })
      assert.equal(await store.counters.reserve('k', reservation(T3)), 1)
      assert.equal(await store.counters.reserve('k', reservation(T1)), 2, 'ignoreBlock counts')
      assert.equal((await store.counters.get('k'))?.blockedUntil, T3)
    })

    it('gives back a reservation in its own window only', async (t) => {
      const store = await fresh(t)
      const at = (windowStart: string): Reservation => ({
        windowStart,
        now: windowStart,
        limit: 2,
        expiresAt: LATER,
      })
      await store.counters.reserve('k', at(T0))
      await store.counters.reserve('k', at(T0))
      assert.equal(await store.counters.reserve('k', at(T0)), null)
      await store.counters.release('k', T0)
      assert.equal(await store.counters.reserve('k', at(T0)), 2)
      await store.counters.release('k', T1)
      assert.equal((await store.counters.get('k'))?.count, 2, 'another window is untouched')
    })

    it('purges rows whose expiry and block have passed, and only those', async (t) => {
      const store = await fresh(t)
      await store.counters.increment('window-over', T0, T1)
      await store.counters.increment('window-open', T0, T3)
      await store.counters.reserve('blocked', {
        windowStart: 'consecutive',
        now: T0,
        blocks: [{ fromCount: 1, until: LATER }],
        expiresAt: T1,
      })
      for (let i = 0; i < 30; i++) await store.counters.increment(`random-${i}`, T0, T1)
      assert.equal(await store.counters.size(), 33)
      assert.equal(await store.counters.purge(T2, 1000), 31)
      assert.equal(await store.counters.size(), 2)
      assert.ok(await store.counters.get('window-open'))
      assert.ok(await store.counters.get('blocked'))
      assert.equal(await store.counters.purge(LATER, 1), 1, 'in batches of `limit`')
      assert.equal(await store.counters.purge(LATER, 1), 1)
      assert.equal(await store.counters.size(), 0)
    })
  })
}
