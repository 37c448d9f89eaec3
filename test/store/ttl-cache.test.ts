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

describe('TtlCache evictions and reads in flight', () => {
  /** A load the test finishes when it says. */
  function pending<V>() {
    let finish: (value: V) => void = () => {}
    const promise = new Promise<V>((resolve) => {
      finish = resolve
    })
    return { load: () => promise, finish }
  }

  it('a read overlapped by the eviction of another key is still cached', async () => {
    const clock = new ManualClock(0)
    const cache = new TtlCache<string>(() => clock.now(), 60_000)
    const a = pending<string>()
    const reading = cache.get('a', a.load)
    cache.forget('b')
    a.finish('a1')
    assert.equal(await reading, 'a1')
    assert.equal(await cache.get('a', async () => 'a2'), 'a1')
  })

  it('a read overlapped by the eviction of its own key, or of everything, keeps nothing', async () => {
    for (const evict of ['own', 'all'] as const) {
      const clock = new ManualClock(0)
      const cache = new TtlCache<string>(() => clock.now(), 60_000)
      const first = pending<string>()
      const second = pending<string>()
      const one = cache.get('a', first.load)
      const two = cache.get('a', second.load)
      if (evict === 'own') cache.forget('a')
      else cache.forgetAll()
      // A read that starts after the eviction may cache what it reads.
      const after = pending<string>()
      const three = cache.get('a', after.load)
      first.finish('stale-1')
      second.finish('stale-2')
      await Promise.all([one, two])
      assert.equal(await cache.get('a', async () => 'fresh'), 'fresh', evict)
      after.finish('late')
      await three
    }
  })
})

describe('TtlCache.peek, the synchronous read of the request path', () => {
  it('answers a fresh entry, and nothing once it is stale, evicted, or the cache suspended', async () => {
    const clock = new ManualClock(10_000)
    const cache = new TtlCache<string | null>(() => clock.now(), 1000)
    assert.equal(cache.peek('k'), undefined)
    await cache.get('k', async () => null)
    // A cached "not found" is an answer, told apart from a miss.
    assert.deepEqual(cache.peek('k')?.value, null)
    await cache.get('v', async () => 'value')
    assert.equal(cache.peek('v')?.value, 'value')
    cache.forget('v')
    assert.equal(cache.peek('v'), undefined)
    await cache.get('v', async () => 'again')
    cache.suspend()
    assert.equal(cache.peek('v'), undefined)
    cache.resume()
    await cache.get('v', async () => 'resumed')
    clock.advance(999)
    assert.equal(cache.peek('v')?.value, 'resumed')
    clock.advance(1)
    assert.equal(cache.peek('v'), undefined)
  })

  it('never answers an entry stamped in the future (the clock stepped back)', async () => {
    const clock = new ManualClock(10_000)
    const cache = new TtlCache<string>(() => clock.now(), 1000)
    await cache.get('k', async () => 'value')
    clock.advance(-1)
    assert.equal(cache.peek('k'), undefined)
  })
})
