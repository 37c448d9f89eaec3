import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { roundOrder } from '../../bench/wrk-rounds.js'

const paired = ['ceiling', 'sqlite', 'postgres']
const groups = [paired, ['refresh'], ['introspect'], ['login']]
const everyTarget = groups.flat().sort()

describe('roundOrder', () => {
  it('rotates the groups and the targets inside them', () => {
    assert.deepEqual(roundOrder(groups, 0), [
      'ceiling',
      'sqlite',
      'postgres',
      'refresh',
      'introspect',
      'login',
    ])
    assert.deepEqual(roundOrder(groups, 1), [
      'refresh',
      'introspect',
      'login',
      'sqlite',
      'postgres',
      'ceiling',
    ])
    assert.deepEqual(roundOrder(groups, 2), [
      'introspect',
      'login',
      'postgres',
      'ceiling',
      'sqlite',
      'refresh',
    ])
  })

  it('runs every target exactly once per round, a group back to back', () => {
    for (let round = 0; round < 12; round++) {
      const order = roundOrder(groups, round)
      assert.deepEqual([...order].sort(), everyTarget, `round ${round}`)
      const first = Math.min(...paired.map((name) => order.indexOf(name)))
      assert.deepEqual(
        order.slice(first, first + 3).sort(),
        [...paired].sort(),
        `round ${round}: ${order.join(', ')}`,
      )
    }
  })

  it('puts each target of a group first once in as many rounds as the group has targets', () => {
    const firsts = [0, 1, 2].map((round) => roundOrder([paired], round)[0])
    assert.deepEqual(firsts, ['ceiling', 'sqlite', 'postgres'])
  })

  it('skips empty groups', () => {
    assert.deepEqual(roundOrder([[], ['a', 'b'], []], 1), ['b', 'a'])
  })
})
