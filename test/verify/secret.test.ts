import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { createVerifier, type VerifierOptions } from '../../src/verify/index.js'
import { assertInvalidToken } from './assertions.js'
import { AUDIENCE, clockAt, ISSUER, makeKey, NOW, portcullisClaims, sign } from './jwks-server.js'

const SECRET = 'a-shared-secret-of-at-least-32-bytes!'

const hs = (secret: string, alg = 'HS256', header: Record<string, unknown> = {}) =>
  new SignJWT(portcullisClaims())
    .setProtectedHeader({ alg, typ: 'at+jwt', ...header })
    .sign(new TextEncoder().encode(secret))

const secretVerifier = (extra: Partial<VerifierOptions> = {}) =>
  createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: SECRET,
    now: clockAt(NOW + 1),
    ...extra,
  } as VerifierOptions)

describe('createVerifier with a shared secret (HS256 mode)', () => {
  it('accepts an HS256 token signed with the secret, with or without kid', async () => {
    const verifier = secretVerifier()
    assert.equal((await verifier.verify(await hs(SECRET))).sub, 'user-1')
    assert.equal((await verifier.verify(await hs(SECRET, 'HS256', { kid: 'k1' }))).sub, 'user-1')
  })

  it('rejects a token signed with another secret, and an HS512 token (not pinned)', async () => {
    const verifier = secretVerifier()
    await assertInvalidToken(verifier.verify(await hs(`${SECRET}-other`)), /signature/)
    await assertInvalidToken(verifier.verify(await hs(SECRET, 'HS512')), /algorithm/)
  })

  it('rejects asymmetric tokens outright', async () => {
    const key = await makeKey()
    await assertInvalidToken(secretVerifier().verify(await sign(key)), /algorithm/)
  })

  it('still checks expiry, issuer, audience and typ', async () => {
    await assertInvalidToken(
      secretVerifier({ now: clockAt(NOW + 901) }).verify(await hs(SECRET)),
      /expired/,
    )
    await assertInvalidToken(
      secretVerifier({ issuer: 'http://other.test' }).verify(await hs(SECRET)),
      / iss /,
    )
    await assertInvalidToken(
      secretVerifier({ audience: 'other-api' }).verify(await hs(SECRET)),
      / aud /,
      'other-api',
    )
    await assertInvalidToken(secretVerifier().verify(await hs(SECRET, 'HS256', { typ: 'JWT' })))
  })
})

describe('createVerifier options', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE }
  const url = 'http://127.0.0.1:9/.well-known/jwks.json'

  it('needs exactly one of jwksUrl and secret', () => {
    assert.throws(() => createVerifier(base as VerifierOptions), /exactly one/)
    assert.throws(
      () => createVerifier({ ...base, jwksUrl: url, secret: SECRET } as unknown as VerifierOptions),
      /exactly one/,
    )
  })

  it('refuses short secrets', () => {
    assert.throws(() => createVerifier({ ...base, secret: 'your_secret_key' }), /32 bytes/)
  })

  it('never mixes symmetric and asymmetric algorithms, and never allows none', () => {
    assert.throws(
      () => createVerifier({ ...base, jwksUrl: url, algorithms: ['ES256', 'HS256'] }),
      /never mixed/,
    )
    assert.throws(
      () => createVerifier({ ...base, secret: SECRET, algorithms: ['ES256'] }),
      /never mixed/,
    )
    assert.throws(() => createVerifier({ ...base, jwksUrl: url, algorithms: ['none'] }), /none/)
    assert.throws(() => createVerifier({ ...base, jwksUrl: url, algorithms: [] }), /empty/)
  })

  it('needs an issuer, an audience and an http(s) JWKS URL', () => {
    assert.throws(() => createVerifier({ ...base, issuer: '', secret: SECRET }), /issuer/)
    assert.throws(() => createVerifier({ ...base, audience: [], secret: SECRET }), /audience/)
    assert.throws(() => createVerifier({ ...base, jwksUrl: 'file:///etc/jwks.json' }), /http/)
  })

  it('accepts any one of several audiences', async () => {
    const verifier = secretVerifier({ audience: ['billing-api', AUDIENCE] })
    assert.equal((await verifier.verify(await hs(SECRET))).sub, 'user-1')
    assert.equal(verifier.realm, 'billing-api')
  })
})
