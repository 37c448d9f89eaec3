import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { roundOrder } from '../../bench/wrk-rounds.js'

const groups = [['ceiling', 'sqlite', 'postgres'], ['refresh'], ['introspect'], ['login']]

describe('roundOrder', () => {
  it('runs every target once per round, rotating the groups and the targets inside them', () => {
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

  it('keeps a group back to back in every round', () => {
    for (let round = 0; round < 12; round++) {
      const order = roundOrder(groups, round)
      assert.equal(order.length, 6)
      const at = ['ceiling', 'sqlite', 'postgres']
        .map((name) => order.indexOf(name))
        .sort((a, b) => a - b)
      assert.deepEqual(
        at,
        [at[0], (at[0] ?? 0) + 1, (at[0] ?? 0) + 2],
        `round ${round}: ${order.join(', ')}`,
      )
    }
  })

  it('puts each target of a group first once in as many rounds as the group has targets', () => {
    const firsts = [0, 1, 2].map((round) => roundOrder([groups[0] ?? []], round)[0])
    assert.deepEqual(firsts.sort(), ['ceiling', 'postgres', 'sqlite'])
  })
})
