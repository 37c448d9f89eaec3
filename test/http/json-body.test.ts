import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonBodyProblem } from '../../src/http/json-body.js'

describe('jsonBodyProblem', () => {
  it('names a repeated key by its path', () => {
    assert.equal(jsonBodyProblem('{"a":{"b":1,"b":2}}', 32), 'duplicate field "a.b"')
    assert.equal(jsonBodyProblem('{"a":1,"\\u0061":2}', 32), 'duplicate field "a"')
    assert.equal(jsonBodyProblem('{"a":[{"b":1},{"b":1}]}', 32), null)
  })

  it('quotes a repeated key with its control characters escaped, cut to 64 characters', () => {
    assert.equal(
      jsonBodyProblem('{"\\u001b[2J":1,"\\u001b[2J":2}', 32),
      'duplicate field "\\u001b[2J"',
    )
    const long = 'k'.repeat(5000)
    assert.equal(
      jsonBodyProblem(`{"${long}":1,"${long}":2}`, 32),
      `duplicate field "${'k'.repeat(64)}…"`,
    )
  })
})
