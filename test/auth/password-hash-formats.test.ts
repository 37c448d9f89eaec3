import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ARGON2ID,
  type Argon2Params,
  legacyBcryptCost,
  parseArgon2,
  sameArgon2Params,
  weakerThan,
} from '../../src/auth/password-hash-formats.js'

const salt = 'c29tZXNhbHRzb21lc2FsdA'
const digest = 'A'.repeat(43)
const phc = (variant: string, m: number, t: number, p: number) =>
  `$argon2${variant}$v=19$m=${m},t=${t},p=${p}$${salt}$${digest}`
const params: Argon2Params = { memoryKib: 256, iterations: 2, parallelism: 1 }

describe('password hash formats', () => {
  it('reads the cost of passlib bcrypt hashes, and nothing else', () => {
    const body = 'N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'
    assert.equal(legacyBcryptCost(`$2b$12$${body}`), 12)
    assert.equal(legacyBcryptCost(`$2a$04$${body}`), 4)
    assert.equal(legacyBcryptCost(`$2y$10$${body}`), 10)
    assert.equal(legacyBcryptCost(`$2x$12$${body}`), null)
    assert.equal(legacyBcryptCost('$2b$12$short'), null)
    assert.equal(legacyBcryptCost(phc('id', 256, 2, 1)), null)
  })

  it('parses argon2 PHC strings, and refuses what is not one', () => {
    const parsed = parseArgon2(phc('id', 256, 2, 1))
    assert.ok(parsed)
    assert.equal(parsed.algorithm, ARGON2ID)
    assert.deepEqual([parsed.memoryCost, parsed.timeCost, parsed.parallelism], [256, 2, 1])
    assert.equal(parseArgon2('not a hash'), null)
  })

  it('tells the same parameters from other and weaker ones', () => {
    const same = parseArgon2(phc('id', 256, 2, 1))
    const stronger = parseArgon2(phc('id', 512, 3, 2))
    const cheaper = parseArgon2(phc('id', 256, 1, 1))
    const argon2i = parseArgon2(phc('i', 256, 2, 1))
    assert.ok(same && stronger && cheaper && argon2i)
    assert.equal(sameArgon2Params(same, params), true)
    assert.equal(sameArgon2Params(stronger, params), false)
    assert.equal(sameArgon2Params(argon2i, params), false)
    assert.equal(weakerThan(same, params), false)
    assert.equal(weakerThan(stronger, params), false)
    assert.equal(weakerThan(cheaper, params), true)
    assert.equal(weakerThan(argon2i, params), true)
  })
})
