import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hasScope, missingScopes } from '../../src/auth/scopes.js'

describe('scope membership (RFC 6749 §3.3: space-delimited tokens)', () => {
  it('finds a scope only as a whole token, wherever it stands', () => {
    assert.equal(hasScope('profile', 'profile'), true)
    assert.equal(hasScope('openid profile email', 'profile'), true)
    assert.equal(hasScope('openid profile', 'openid'), true)
    assert.equal(hasScope('openid profile', 'profile'), true)
    assert.equal(hasScope('profile:read openid', 'profile'), false)
    assert.equal(hasScope('myprofile', 'profile'), false)
    assert.equal(hasScope('profiles', 'profile'), false)
    // A later whole occurrence counts after a partial one.
    assert.equal(hasScope('profile:read profile', 'profile'), true)
    assert.equal(hasScope('', 'profile'), false)
    assert.equal(hasScope('profile', ''), false)
    assert.equal(hasScope('a  b', ''), false)
    assert.equal(hasScope('a b c', 'a b'), false)
  })

  it('names the required scopes a token lacks, in their order', () => {
    assert.deepEqual(missingScopes('openid profile', ['profile']), [])
    assert.deepEqual(missingScopes('openid', ['profile', 'admin']), ['profile', 'admin'])
    assert.deepEqual(missingScopes('admin:read profile', ['admin', 'profile']), ['admin'])
    assert.deepEqual(missingScopes('', []), [])
  })
})
