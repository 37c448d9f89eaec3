import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { passwordHashProblem } from '../../src/cli/import/password-hash-format.js'

const phc = (params: string) => `$argon2id$v=19$${params}$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA`

describe('imported argon2 hash parameters', () => {
  it('accepts parameters within the bounds', () => {
    for (const params of ['m=64,t=1,p=1', 'm=19456,t=2,p=1', 'm=65536,t=10,p=8'])
      assert.equal(passwordHashProblem(phc(params)), null, params)
  })

  it('refuses parameters below the lower bounds as well as above the upper ones', () => {
    for (const params of ['m=32,t=1,p=1', 'm=8,t=1,p=1', 'm=63,t=1,p=1', 'm=65537,t=1,p=1'])
      assert.match(
        passwordHashProblem(phc(params)) ?? '',
        /^argon2 parameters (below|beyond)/,
        params,
      )
  })
})
