import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { table } from '../../src/store/table.js'

interface Thing {
  id: string
  displayName: string | null
  enabled: boolean
  tags: string[]
}

const things = table<Thing>()('things', 'id displayName enabled tags', {
  enabled: 'bool',
  tags: 'list',
})

describe('a table mapping', () => {
  it('stores each field in the column of its snake_case name, in the order given', () => {
    assert.equal(things.columns, 'id, display_name, enabled, tags')
    assert.equal(
      things.insert,
      'INSERT INTO things (id, display_name, enabled, tags) VALUES ($1, $2, $3, $4)',
    )
    assert.deepEqual(
      things.values({ id: 't1', displayName: null, enabled: true, tags: ['a', 'b'] }),
      ['t1', null, true, 'a b'],
    )
  })

  it('reads a row of either engine back (booleans as 1/0), also under a join alias', () => {
    const row = { id: 't1', display_name: 'T', enabled: 1, tags: '' }
    assert.deepEqual(things.decode(row), { id: 't1', displayName: 'T', enabled: true, tags: [] })
    assert.equal(
      things.aliased('x'),
      'x.id AS x_id, x.display_name AS x_display_name, x.enabled AS x_enabled, x.tags AS x_tags',
    )
    assert.deepEqual(
      things.decode({ x_id: 't2', x_display_name: null, x_enabled: 0, x_tags: 'a' }, 'x_'),
      {
        id: 't2',
        displayName: null,
        enabled: false,
        tags: ['a'],
      },
    )
  })

  it('refuses a list item it could not give back', () => {
    assert.throws(
      () => things.values({ id: 't', displayName: null, enabled: false, tags: ['a b'] }),
      RangeError,
    )
  })

  it('must list every field of the record and only those (checked by `npm run typecheck`)', () => {
    // @ts-expect-error: `tags` is missing
    const missing = table<Thing>()('things', 'id displayName enabled')
    // @ts-expect-error: `color` is not a field
    const extra = table<Thing>()('things', 'id displayName enabled tags color')
    assert.ok(missing && extra)
  })
})
