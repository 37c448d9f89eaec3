import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { ManualClock } from '../../src/clock.js'
import type { StatusChanges, StatusSubscriber } from '../../src/store/invalidation.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { withStatusCache } from '../../src/store/status-cache.js'
import type { UserRecord } from '../../src/store/store.js'

/** A feed the test drives: what PostgreSQL's listener would deliver, when the test says. */
function fakeFeed() {
  const subscribers = new Set<StatusSubscriber>()
  let listening = false
  const feed: StatusChanges = {
    get listening() {
      return listening
    },
    subscribe(s) {
      subscribers.add(s)
      return () => subscribers.delete(s)
    },
    settle: () => Promise.resolve(),
  }
  return {
    feed,
    live() {
      listening = true
      for (const s of subscribers) s.live()
    },
    down() {
      listening = false
      for (const s of subscribers) s.down(new Error('cut'))
    },
    userChanged(id: string) {
      for (const s of subscribers) s.changed({ kind: 'user', id })
    },
  }
}

const user = (disabled: boolean) => ({ id: 'u1', disabled }) as UserRecord

/**
 * A status cache (TTL far beyond the test) over a store whose `users.findById` answers what the
 * test holds in `state`, each call resolving when the test releases it (or at once).
 */
function setup(t: TestContext) {
  const raw = openSqliteStore(':memory:')
  t.after(() => raw.close())
  const control = fakeFeed()
  const state = { disabled: false, loads: 0, held: [] as (() => void)[], hold: false }
  const findById = (_id: string) => {
    state.loads++
    // What the database answers is decided when the query runs: now.
    const answer = user(state.disabled)
    if (!state.hold) return Promise.resolve(answer)
    return new Promise<UserRecord>((resolve) => state.held.push(() => resolve(answer)))
  }
  const store = { ...raw, users: { ...raw.users, findById }, statusChanges: control.feed }
  const cached = withStatusCache(store, new ManualClock(), 60_000)
  const read = async () => (await cached.users.findById('u1'))?.disabled
  return { control, state, read }
}

/** Lets `n` turns of the microtask queue pass (real promises, not timers). */
async function turns(n: number) {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

describe('the status cache following a feed of changes', () => {
  it('serves nothing from memory before the feed first listens', async (t) => {
    const { control, state, read } = setup(t)
    await read()
    await read()
    assert.equal(state.loads, 2)
    control.live()
    await read()
    await read()
    assert.equal(state.loads, 3, 'cached once listening')
  })

  it('evicts on a change: the next read goes to the store and sees it', async (t) => {
    const { control, state, read } = setup(t)
    control.live()
    assert.equal(await read(), false)
    assert.equal(await read(), false)
    assert.equal(state.loads, 1)
    state.disabled = true
    control.userChanged('u1')
    assert.equal(await read(), true)
    assert.equal(state.loads, 2)
  })

  it('never keeps a read that a change overtook, whatever the interleaving (300 runs)', async (t) => {
    for (let run = 0; run < 300; run++) {
      const { control, state, read } = setup(t)
      control.live()
      // The read's query runs before the change commits, its answer arrives after the
      // notification, a random number of turns later.
      state.hold = true
      const inFlight = read()
      state.hold = false
      await turns(run % 7)
      state.disabled = true
      control.userChanged('u1')
      await turns((run * 3) % 5)
      for (const release of state.held.splice(0)) release()
      assert.equal(await inFlight, false, 'the overtaken read answers what it saw')
      assert.equal(await read(), true, `run ${run}: the stale answer was not kept`)
    }
  })

  it('while the feed is down serves every read from the store, and resumes empty once live', async (t) => {
    const { control, state, read } = setup(t)
    control.live()
    await read()
    assert.equal(state.loads, 1)
    control.down()
    state.disabled = true
    assert.equal(await read(), true, 'a change missed while down is read fresh')
    assert.equal(await read(), true)
    assert.equal(state.loads, 3, 'nothing cached while down')
    control.live()
    await read()
    await read()
    assert.equal(state.loads, 4, 'cached again once live')
  })

  it('keeps nothing from a read that started before a cut and ended after the reconnection (300 runs)', async (t) => {
    for (let run = 0; run < 300; run++) {
      const { control, state, read } = setup(t)
      control.live()
      state.hold = true
      const inFlight = read()
      state.hold = false
      await turns(run % 5)
      control.down()
      // Changed while nobody listened: no notification will ever say so.
      state.disabled = true
      await turns(run % 3)
      control.live()
      for (const release of state.held.splice(0)) release()
      assert.equal(await inFlight, false)
      assert.equal(await read(), true, `run ${run}: the pre-cut answer was not kept`)
    }
  })
})
