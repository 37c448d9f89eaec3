import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { WorkLimiter } from '../../src/auth/work-limiter.js'
import { ApiError } from '../../src/errors.js'

/** A promise with its resolve function, to hold a job open until the test releases it. */
function gate() {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/** Lets pending promise callbacks and timers run. */
const settle = () => sleep(0)

/** How `promise` settles within a few milliseconds: its value, its error, or 'still pending'. */
const outcomeSoon = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => error,
    ),
    sleep(20).then(() => 'still pending'),
  ])

function assertBusy(error: unknown) {
  assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`)
  assert.equal(error.code, 'temporarily_unavailable')
  assert.equal(error.status, 503)
  assert.match(error.headers['retry-after'] ?? '', /^[1-9]\d*$/)
  return true
}

describe('WorkLimiter', () => {
  it('never runs more than `concurrency` jobs at once across 200 real async jobs, repeatedly', async () => {
    for (const concurrency of [1, 3, 8]) {
      const limiter = new WorkLimiter(concurrency, 1000)
      for (let round = 0; round < 5; round++) {
        let inFlight = 0
        let maxInFlight = 0
        let done = 0
        const jobs = Array.from({ length: 200 }, (_, i) =>
          limiter.run(async () => {
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
            assert.ok(limiter.load.running <= concurrency)
            // Mix timer waits and microtask-only jobs so completions interleave unpredictably.
            if (i % 3 === 0) await sleep(Math.floor(Math.random() * 3))
            else await Promise.resolve()
            inFlight--
            done++
            return i
          }),
        )
        const results = await Promise.all(jobs)
        assert.deepEqual(
          results,
          Array.from({ length: 200 }, (_, i) => i),
        )
        assert.equal(done, 200)
        assert.equal(maxInFlight, concurrency, `concurrency ${concurrency}, round ${round}`)
        assert.deepEqual(limiter.load, { running: 0, waiting: 0 })
      }
    }
  })

  it('starts waiting jobs in the order they arrived', async () => {
    const limiter = new WorkLimiter(2, 100)
    const blockers = [gate(), gate()]
    const started: number[] = []
    const running = blockers.map((g, i) =>
      limiter.run(async () => {
        started.push(-1 - i)
        await g.opened
      }),
    )
    const waiting = Array.from({ length: 20 }, (_, i) =>
      limiter.run(async () => {
        started.push(i)
        await sleep(Math.floor(Math.random() * 3))
      }),
    )
    await settle()
    assert.deepEqual(limiter.load, { running: 2, waiting: 20 })
    blockers[1]?.open()
    blockers[0]?.open()
    await Promise.all([...running, ...waiting])
    assert.deepEqual(
      started.slice(2),
      Array.from({ length: 20 }, (_, i) => i),
    )
  })

  it('does not let a newcomer jump ahead of jobs already waiting', async () => {
    const limiter = new WorkLimiter(1, 10)
    const blocker = gate()
    const order: string[] = []
    const first = limiter.run(() => blocker.opened)
    const queued = limiter.run(async () => void order.push('queued'))
    await settle()
    blocker.open()
    await first
    // `queued` has been handed the slot; a job arriving now must wait behind it.
    const newcomer = limiter.run(async () => void order.push('newcomer'))
    await Promise.all([queued, newcomer])
    assert.deepEqual(order, ['queued', 'newcomer'])
  })

  it('rejects at once with 503 temporarily_unavailable and Retry-After when the queue is full', async () => {
    const limiter = new WorkLimiter(1, 2)
    const blocker = gate()
    const ran: string[] = []
    const accepted = [
      limiter.run(() => blocker.opened),
      limiter.run(async () => void ran.push('q1')),
      limiter.run(async () => void ran.push('q2')),
    ]
    let extraRan = false
    const extra = limiter.run(async () => {
      extraRan = true
    })
    // Rejected while the running job is still blocked: no waiting for a slot.
    assertBusy(await outcomeSoon(extra))
    assert.deepEqual(limiter.load, { running: 1, waiting: 2 })
    blocker.open()
    await Promise.all(accepted)
    assert.equal(extraRan, false)
    assert.deepEqual(ran, ['q1', 'q2'])
  })

  it('rejects a second job at once when the queue limit is 0 and the slot is taken', async () => {
    const limiter = new WorkLimiter(1, 0)
    const blocker = gate()
    const first = limiter.run(() => blocker.opened)
    assertBusy(await outcomeSoon(limiter.run(async () => 1)))
    blocker.open()
    await first
    assert.equal(await limiter.run(async () => 2), 2)
  })

  it('releases the slot when a job throws or rejects, and passes the error through', async () => {
    const limiter = new WorkLimiter(2, 100)
    const failures = Array.from({ length: 50 }, (_, i) =>
      limiter.run(async () => {
        await settle()
        if (i % 2 === 0) throw new Error(`boom ${i}`)
        return Promise.reject(new TypeError(`bad ${i}`))
      }),
    )
    const results = await Promise.allSettled(failures)
    results.forEach((r, i) => {
      assert.equal(r.status, 'rejected')
      if (r.status === 'rejected') {
        assert.equal((r.reason as Error).message, i % 2 === 0 ? `boom ${i}` : `bad ${i}`)
      }
    })
    assert.deepEqual(limiter.load, { running: 0, waiting: 0 })
    // Both slots are free: two jobs that wait on each other can run together.
    const a = gate()
    const b = gate()
    await Promise.all([
      limiter.run(async () => {
        a.open()
        await b.opened
      }),
      limiter.run(async () => {
        b.open()
        await a.opened
      }),
    ])
  })

  it('releases the slot when a job throws synchronously', async () => {
    const limiter = new WorkLimiter(1, 0)
    await assert.rejects(
      limiter.run(() => {
        throw new Error('sync boom')
      }),
      /sync boom/,
    )
    assert.deepEqual(limiter.load, { running: 0, waiting: 0 })
    assert.equal(await limiter.run(async () => 'ok'), 'ok')
  })
})
