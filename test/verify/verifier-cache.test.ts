import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createVerifier, VerifyError } from '../../src/verify/index.js'
import { assertInvalidToken } from './assertions.js'
import {
  AUDIENCE,
  ISSUER,
  makeKey,
  NOW,
  portcullisClaims,
  sign,
  startJwksServer,
} from './jwks-server.js'

describe('the verifier cache', () => {
  it('serves a token seen before without the key work, and still enforces its expiry', async (t) => {
    const key = await makeKey('ES256')
    const jwks = await startJwksServer(t, [key])
    let nowMs = (NOW + 1) * 1000
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: () => nowMs,
    })
    const token = await sign(key, portcullisClaims({ exp: NOW + 60 }))
    assert.equal((await verifier.verify(token)).exp, NOW + 60)
    // The keys vanish from the server, but the JWKS the verifier holds is fresh (cacheMaxAgeMs,
    // 5 minutes) and still has the kid: a token seen before verifies without a request.
    jwks.keys = []
    assert.equal((await verifier.verify(token)).sub, portcullisClaims().sub)
    assert.equal(jwks.requests, 1)
    nowMs = (NOW + 60) * 1000
    await assert.rejects(
      verifier.verify(token),
      (e: unknown) => e instanceof VerifyError && e.code === 'invalid_token',
    )
  })

  it('remembers nothing with cacheSize 0', async (t) => {
    const key = await makeKey('ES256')
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: () => (NOW + 1) * 1000,
      cacheSize: 0,
      cooldownMs: 0,
      cacheMaxAgeMs: 0,
    })
    const token = await sign(key)
    await verifier.verify(token)
    jwks.keys = []
    await assert.rejects(verifier.verify(token), VerifyError)
  })

  it('refuses a cached token once a JWKS refresh has dropped its kid (a revoked key)', async (t) => {
    const revoked = await makeKey('ES256')
    const successor = await makeKey('ES256')
    const jwks = await startJwksServer(t, [revoked])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: () => (NOW + 1) * 1000,
      cooldownMs: 0,
    })
    // A forged token with the leaked key and a far exp, verified (and cached) before revocation.
    const forged = await sign(revoked, portcullisClaims({ exp: NOW + 3600 }))
    await verifier.verify(forged)
    // The key is revoked: the JWKS now holds only the successor. A token of the successor names
    // an unknown kid, which refreshes the verifier's JWKS.
    jwks.keys = [successor.publicJwk]
    await verifier.verify(await sign(successor))
    assert.equal(jwks.requests, 2)
    await assertInvalidToken(verifier.verify(forged), /unknown key/)
    // Refused again on the next call (no longer cached, and the key is not in the JWKS).
    await assertInvalidToken(verifier.verify(forged), /unknown key/)
  })

  it('refetches a stale JWKS for a cached token and refuses it once the kid is gone', async (t) => {
    const revoked = await makeKey('ES256')
    const jwks = await startJwksServer(t, [revoked])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: () => (NOW + 1) * 1000,
      cacheMaxAgeMs: 0,
    })
    const token = await sign(revoked)
    await verifier.verify(token)
    // Still in the JWKS: the cached token passes after the (stale) JWKS is fetched again.
    assert.equal((await verifier.verify(token)).sub, portcullisClaims().sub)
    assert.equal(jwks.requests, 2)
    jwks.keys = []
    await assertInvalidToken(verifier.verify(token), /unknown key/)
    assert.equal(jwks.requests, 3)
  })

  it('answers temporarily_unavailable for a cached token when the stale JWKS cannot be fetched', async (t) => {
    const key = await makeKey('ES256')
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: () => (NOW + 1) * 1000,
      cacheMaxAgeMs: 0,
    })
    const token = await sign(key)
    await verifier.verify(token)
    jwks.status = 500
    await assert.rejects(
      verifier.verify(token),
      (e: unknown) => e instanceof VerifyError && e.code === 'temporarily_unavailable',
    )
  })
})
