import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../src/clock.js'
import { TtlCache } from '../../src/store/ttl-cache.js'

describe('TtlCache memory', () => {
  it('releases expired entries as new ones are stored, instead of holding every key seen', async () => {
    const clock = new ManualClock(0)
    const cache = new TtlCache<string>(() => clock.now(), 1000)
    for (let i = 0; i < 100; i++) await cache.get(`old-${i}`, async (k) => k)
    assert.equal(cache.size, 100)
    clock.advance(1000)
    await cache.get('new', async (k) => k)
    // The hundred expired entries are gone; only the fresh one is held.
    assert.equal(cache.size, 1)
  })

  it('evicts the oldest entry beyond its limit, keeping the recent ones served from memory', async () => {
    const clock = new ManualClock(0)
    const cache = new TtlCache<number>(() => clock.now(), 60_000, 3)
    let loads = 0
    const load = async () => ++loads
    for (const key of ['a', 'b', 'c', 'd']) {
      await cache.get(key, load)
      clock.advance(1)
    }
    assert.equal(cache.size, 3)
    assert.equal(loads, 4)
    // b, c and d are still cached; a was the oldest and was evicted.
    for (const key of ['b', 'c', 'd']) await cache.get(key, load)
    assert.equal(loads, 4)
    await cache.get('a', load)
    assert.equal(loads, 5)
  })

  it('still never serves an entry older than its ttl', async () => {
    const clock = new ManualClock(0)
    const cache = new TtlCache<number>(() => clock.now(), 1000)
    let loads = 0
    const load = async () => ++loads
    assert.equal(await cache.get('k', load), 1)
    clock.advance(999)
    assert.equal(await cache.get('k', load), 1)
    clock.advance(1)
    assert.equal(await cache.get('k', load), 2)
  })
})
