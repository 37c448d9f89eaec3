import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { atHash, IdTokens } from '../../src/auth/id-tokens.js'
import type { SigningAlg } from '../../src/auth/keys.js'
import { ManualClock } from '../../src/clock.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { keyringFor } from '../support/keyring.js'

const ISSUER = 'http://portcullis.test'
const NOW = Date.parse('2026-06-01T12:00:00Z')

async function setup(t: TestContext, alg: SigningAlg = 'ES256') {
  const store = openSqliteStore(':memory:')
  t.after(() => store.close())
  const clock = new ManualClock(NOW)
  const keyring = keyringFor(store, alg, clock)
  await keyring.load()
  const idTokens = new IdTokens(keyring, clock, { issuer: ISSUER, ttlSeconds: 600 })
  return { clock, keyring, idTokens }
}

const input = {
  userId: 'user-1',
  clientId: 'web-app',
  nonce: 'n-0S6_WzA2Mj',
  authTime: '2026-06-01T11:58:20.500Z',
  amr: ['pwd'],
  sid: 'browser-session-1',
  accessToken: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl',
}

/** at_hash computed here from the spec text, not by the code under test. */
function expectedAtHash(token: string, digest: string) {
  const full = createHash(digest).update(token).digest()
  return full.subarray(0, full.length / 2).toString('base64url')
}

describe('IdTokens.issue', () => {
  for (const [alg, digest] of [
    ['ES256', 'sha256'],
    ['EdDSA', 'sha512'],
  ] as const) {
    it(`signs a ${alg} ID token that verifies against the JWKS, with every claim`, async (t) => {
      const { idTokens, keyring } = await setup(t, alg)
      const token = await idTokens.issue(input)
      const header = decodeProtectedHeader(token)
      assert.equal(header.typ, 'JWT')
      assert.equal(header.alg, alg)
      assert.equal(header.kid, keyring.signingKey().kid)
      const { payload } = await jwtVerify(token, createLocalJWKSet(keyring.publicJwks()), {
        issuer: ISSUER,
        audience: 'web-app',
        currentDate: new Date(NOW),
        typ: 'JWT',
      })
      assert.deepEqual(payload, {
        iss: ISSUER,
        sub: 'user-1',
        aud: 'web-app',
        azp: 'web-app',
        iat: NOW / 1000,
        exp: NOW / 1000 + 600,
        auth_time: Math.floor(Date.parse(input.authTime) / 1000),
        nonce: 'n-0S6_WzA2Mj',
        amr: ['pwd'],
        sid: 'browser-session-1',
        at_hash: expectedAtHash(input.accessToken, digest),
      })
    })
  }

  it('omits nonce when the request had none', async (t) => {
    const { idTokens } = await setup(t)
    const token = await idTokens.issue({ ...input, nonce: null })
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
    assert.equal('nonce' in payload, false)
  })

  it('at_hash matches the OpenID Connect Core example digest sizes', () => {
    // 256-bit hash → 16 bytes → 22 characters; 512-bit → 32 bytes → 43 characters.
    assert.equal(atHash('token', 'ES256').length, 22)
    assert.equal(atHash('token', 'EdDSA').length, 43)
    assert.equal(atHash('token', 'ES384').length, 32)
  })
})

describe('IdTokens.verifyHint', () => {
  it('reads an ID token it signed, expired or not', async (t) => {
    const { idTokens, clock } = await setup(t)
    const token = await idTokens.issue(input)
    clock.advance(30 * 86400_000)
    assert.deepEqual(await idTokens.verifyHint(token), {
      sub: 'user-1',
      clientId: 'web-app',
      sid: 'browser-session-1',
    })
  })

  it('refuses a token signed by another key, a tampered one, and garbage', async (t) => {
    const { idTokens } = await setup(t)
    const other = await setup(t)
    const foreign = await other.idTokens.issue(input)
    assert.equal(await idTokens.verifyHint(foreign), null)
    const token = await idTokens.issue(input)
    const [h, , s] = token.split('.')
    const forged = Buffer.from(JSON.stringify({ iss: ISSUER, sub: 'admin', aud: 'web-app' }))
    assert.equal(await idTokens.verifyHint(`${h}.${forged.toString('base64url')}.${s}`), null)
    assert.equal(await idTokens.verifyHint('not-a-token'), null)
  })

  it('refuses an access token (typ at+jwt) of the same key', async (t) => {
    const { idTokens, keyring } = await setup(t)
    const key = keyring.signingKey()
    const accessToken = await new SignJWT({ client_id: 'web-app' })
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setAudience('web-app')
      .sign(key.privateKey)
    assert.equal(await idTokens.verifyHint(accessToken), null)
  })
})
