import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createVerifier, VerifyError } from '../../src/verify/index.js'
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
    // The keys vanish (and the JWKS is never cached): a token seen before still verifies.
    jwks.keys = []
    assert.equal((await verifier.verify(token)).sub, portcullisClaims().sub)
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
})
