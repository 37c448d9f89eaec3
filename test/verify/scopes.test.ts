import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  bearerChallenge,
  createVerifier,
  requireScopes,
  scopesOf,
  type VerifiedClaims,
  VerifyError,
} from '../../src/verify/index.js'
import { AUDIENCE, clockAt, ISSUER, makeKey, NOW, sign, startJwksServer } from './jwks-server.js'

describe('requireScopes', () => {
  it('returns the claims when every scope was granted', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: clockAt(NOW),
    })
    const claims = await verifier.verify(await sign(key))
    assert.deepEqual(scopesOf(claims), ['profile', 'notes:read'])
    assert.equal(requireScopes(claims, 'notes:read'), claims)
    assert.equal(requireScopes(claims), claims)
  })

  it('throws insufficient_scope (403) naming the needed scopes in the verifier realm', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: clockAt(NOW),
      realm: 'notes',
    })
    const claims = await verifier.verify(await sign(key))
    const error = (() => {
      try {
        requireScopes(claims, 'notes:read', 'notes:write')
      } catch (e) {
        return e
      }
      return undefined
    })()
    assert.ok(error instanceof VerifyError)
    assert.equal(error.code, 'insufficient_scope')
    assert.equal(error.status, 403)
    assert.equal(
      error.wwwAuthenticate,
      'Bearer realm="notes", error="insufficient_scope", error_description="the access token lacks the scope notes:write", scope="notes:read notes:write"',
    )
    assert.deepEqual(error.body, {
      error: 'insufficient_scope',
      error_description: 'the access token lacks the scope notes:write',
    })
  })

  it('does not treat a scope as a prefix or substring of another', () => {
    const claims = { scope: 'notes:read-only notes' } as VerifiedClaims
    assert.throws(() => requireScopes(claims, 'notes:read'), VerifyError)
  })
})

describe('bearerChallenge', () => {
  it('is the bare challenge without an error, and keeps parameters within RFC 6750', () => {
    assert.equal(bearerChallenge('api'), 'Bearer realm="api"')
    assert.equal(
      bearerChallenge('a"b\\c', 'invalid_token', 'bad "quote" \\ here\n'),
      'Bearer realm="a\\"b\\\\c", error="invalid_token", error_description="bad quote  here"',
    )
  })
})
