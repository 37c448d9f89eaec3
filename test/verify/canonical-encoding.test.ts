import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { isCanonicalBase64url, isCanonicalCompactJws } from '../../src/verify/compact-jws.js'
import { createVerifier, VerifyError, verifyRequest } from '../../src/verify/index.js'
import {
  nonB64tokenSpellings,
  nonCanonicalSpellings,
  tokenWithBothUrlSymbols,
} from '../support/token-spellings.js'
import { assertInvalidToken } from './assertions.js'
import {
  AUDIENCE,
  clockAt,
  ISSUER,
  makeKey,
  NOW,
  portcullisClaims,
  sign,
  startJwksServer,
} from './jwks-server.js'

const SECRET = 'a-shared-secret-of-at-least-32-bytes!'

describe('canonical base64url (RFC 7515 §2)', () => {
  it('accepts exactly one spelling of each byte string', () => {
    for (let length = 0; length <= 9; length++) {
      const bytes = Buffer.alloc(length, 0xa5)
      const canonical = bytes.toString('base64url')
      assert.ok(isCanonicalBase64url(canonical), canonical)
      if (length % 3 !== 0) assert.ok(!isCanonicalBase64url(`${canonical}=`), `${canonical}=`)
    }
    for (const bad of [
      'QQ=',
      'QR',
      'QUF',
      'QUI=',
      'Q',
      'QUFBQ',
      'a+b',
      'a/b',
      'a b',
      'ab\n',
      'é',
    ]) {
      assert.ok(!isCanonicalBase64url(bad), JSON.stringify(bad))
    }
    for (const good of ['', 'QQ', 'QUE', 'QUFB', '-_-_'])
      assert.ok(isCanonicalBase64url(good), good)
  })

  it('wants three segments with a non-empty header and payload', () => {
    assert.ok(isCanonicalCompactJws('e30.e30.'))
    assert.ok(isCanonicalCompactJws('e30.e30.c2ln'))
    for (const bad of ['e30.eyJ', '.e30.c2ln', 'e30..c2ln', 'e30.e30.c2ln.x', 'e30.e30.c2ln=']) {
      assert.ok(!isCanonicalCompactJws(bad), bad)
    }
  })
})

describe('the verifier and non-canonical spellings of a valid token', () => {
  it('refuses every spelling of an ES256 token before fetching keys, cached or not', async (t) => {
    const key = await makeKey('ES256')
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: clockAt(NOW + 1),
    })
    const token = await tokenWithBothUrlSymbols(() =>
      sign(key, portcullisClaims({ jti: randomUUID() })),
    )
    const spellings = { ...nonCanonicalSpellings(token), ...nonB64tokenSpellings(token) }
    for (const [what, spelling] of Object.entries(spellings)) {
      const error = await assertInvalidToken(verifier.verify(spelling), /malformed/)
      assert.ok(error, what)
    }
    assert.equal(jwks.requests, 0)
    // The canonical token is verified and cached; its other spellings must still fail.
    assert.equal((await verifier.verify(token)).sub, 'user-1')
    for (const [what, spelling] of Object.entries(spellings)) {
      await assert.rejects(
        verifier.verify(spelling),
        (e: unknown) => e instanceof VerifyError && e.code === 'invalid_token',
        what,
      )
    }
  })

  it('refuses every spelling of an HS256 token (shared-secret mode)', async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: SECRET,
      now: clockAt(NOW + 1),
    })
    const token = await tokenWithBothUrlSymbols(() =>
      new SignJWT(portcullisClaims({ jti: randomUUID() }))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(new TextEncoder().encode(SECRET)),
    )
    assert.equal((await verifier.verify(token)).sub, 'user-1')
    for (const [what, spelling] of Object.entries(nonCanonicalSpellings(token))) {
      await assert.rejects(
        verifier.verify(spelling),
        (e: unknown) => e instanceof VerifyError && e.code === 'invalid_token',
        what,
      )
    }
  })

  it('answers 401 invalid_token to a spelling sent as Bearer credentials', async (t) => {
    const key = await makeKey('ES256')
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: clockAt(NOW + 1),
    })
    const token = await tokenWithBothUrlSymbols(() =>
      sign(key, portcullisClaims({ jti: randomUUID() })),
    )
    const request = (value: string) => ({ headers: { authorization: `Bearer ${value}` } })
    assert.equal((await verifyRequest(verifier, request(token))).sub, 'user-1')
    for (const [what, spelling] of Object.entries(nonCanonicalSpellings(token))) {
      const error = await assertInvalidToken(verifyRequest(verifier, request(spelling)))
      assert.equal(error.status, 401, what)
    }
  })
})
