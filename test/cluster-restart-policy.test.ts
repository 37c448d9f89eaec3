import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RestartPolicy } from '../src/cluster/restart-policy.js'

describe('the restart policy of crashed workers', () => {
  it('replaces after a delay that doubles, and gives up at the fifth crash within a minute', () => {
    const policy = new RestartPolicy()
    const decisions = [0, 1000, 2000, 3000, 4000].map((at) => policy.crashed(at))
    assert.deepEqual(decisions, [
      { action: 'restart', delayMs: 250 },
      { action: 'restart', delayMs: 500 },
      { action: 'restart', delayMs: 1000 },
      { action: 'restart', delayMs: 2000 },
      { action: 'give-up' },
    ])
  })

  it('forgets crashes older than the window: occasional crashes are always replaced', () => {
    const policy = new RestartPolicy()
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(policy.crashed(i * 60_000), { action: 'restart', delayMs: 250 })
    }
    assert.deepEqual(policy.crashed(19 * 60_000 + 59_999), { action: 'restart', delayMs: 500 })
  })

  it('caps the delay', () => {
    const policy = new RestartPolicy({
      maxCrashes: 10,
      windowMs: 60_000,
      firstDelayMs: 1000,
      maxDelayMs: 3000,
    })
    const delays = [0, 1, 2, 3].map((at) => policy.crashed(at))
    assert.deepEqual(
      delays.map((d) => (d.action === 'restart' ? d.delayMs : null)),
      [1000, 2000, 3000, 3000],
    )
  })
})
