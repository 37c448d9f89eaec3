import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { requestIds } from '../../src/http/request-id.js'

describe('request ids', () => {
  it('never repeat, also when the counter wraps (a new random prefix takes over)', () => {
    const next = requestIds(3)
    const ids = Array.from({ length: 12 }, next)
    assert.equal(new Set(ids).size, ids.length)
    const prefixes = ids.map((id) => id.slice(0, 9))
    // Three ids per prefix, then a fresh one: four prefixes, all different.
    assert.equal(new Set(prefixes).size, 4)
    assert.deepEqual(
      ids.slice(0, 3).map((id) => id.slice(9)),
      ['1', '2', '3'],
    )
  })

  it('differ between generators (processes): each draws its own prefix', () => {
    const a = requestIds()
    const b = requestIds()
    assert.notEqual(a(), b())
  })
})
