import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import {
  type AccessClaims,
  type AccessTokenOptions,
  AccessTokens,
} from '../../src/auth/access-tokens.js'
import type { SigningAlg } from '../../src/auth/keys.js'
import { BoundedCache } from '../../src/auth/token-cache.js'
import { ManualClock } from '../../src/clock.js'
import { ApiError } from '../../src/errors.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { keyringFor } from '../support/keyring.js'
import {
  nonB64tokenSpellings,
  nonCanonicalSpellings,
  tokenWithBothUrlSymbols,
} from '../support/token-spellings.js'

const ISSUER = 'http://portcullis.test'
const NOW = Date.parse('2026-06-01T12:00:00Z')

const defaults: AccessTokenOptions = {
  issuer: ISSUER,
  audience: ISSUER,
  ttlSeconds: 900,
  cacheSize: 100,
}

async function setup(
  t: TestContext,
  options: Partial<AccessTokenOptions> = {},
  alg: SigningAlg = 'ES256',
) {
  const store = openSqliteStore(':memory:')
  t.after(() => store.close())
  const clock = new ManualClock(NOW)
  const keyring = keyringFor(store, alg, clock)
  await keyring.load()
  const tokens = new AccessTokens(keyring, clock, { ...defaults, ...options })
  return { store, clock, keyring, tokens }
}

/** Asserts a 401 invalid_token whose description matches `why`. */
function invalidToken(why: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`)
    assert.equal(error.code, 'invalid_token')
    assert.equal(error.status, 401)
    assert.match(error.description, why)
    return true
  }
}

/** Counts full verifications (signature and claims), as opposed to cache hits. */
function fullChecks(t: TestContext, tokens: AccessTokens) {
  const probe = tokens as unknown as { verifySignedToken: (...args: unknown[]) => Promise<unknown> }
  return t.mock.method(probe, 'verifySignedToken')
}

/** A password sign-in's session. */
const SID = { id: 'sid-1', amr: ['pwd'], authTime: new Date(NOW).toISOString() }

describe('AccessTokens', () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`issues an ${alg} at+jwt that verifies back to its claims`, async (t) => {
      const { tokens, keyring } = await setup(t, {}, alg)
      const { token, expiresIn } = await tokens.issue('user-123', 'portcullis', 'profile email', {
        id: 'sid-1',
        amr: ['pwd', 'otp', 'mfa'],
        authTime: '2026-06-01T11:58:20.900Z',
      })
      assert.equal(expiresIn, 900)

      const header = decodeProtectedHeader(token)
      assert.deepEqual(header, { alg, typ: 'at+jwt', kid: keyring.signingKey().kid })

      const claims = await tokens.verify(token)
      const now = NOW / 1000
      assert.equal(claims.iss, ISSUER)
      assert.equal(claims.sub, 'user-123')
      assert.equal(claims.aud, ISSUER)
      assert.equal(claims.iat, now)
      assert.equal(claims.exp, now + 900)
      assert.match(
        claims.jti,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      assert.equal(claims.client_id, 'portcullis')
      assert.equal(claims.scope, 'profile email')
      assert.equal(claims.sid, 'sid-1')
      // RFC 9068 §2.2.1: the session's sign-in, auth_time in whole seconds.
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
      assert.equal(claims.auth_time, Date.parse('2026-06-01T11:58:20Z') / 1000)
      assert.deepEqual(decodeJwt(token), claims)
    })
  }

  it('gives every token its own jti', async (t) => {
    const { tokens } = await setup(t)
    const jtis = new Set<string>()
    for (let i = 0; i < 5; i++)
      jtis.add(decodeJwt((await tokens.issue('u', 'c', 's', SID)).token).jti ?? '')
    assert.equal(jtis.size, 5)
  })

  it('uses the configured audience and rejects tokens for another audience', async (t) => {
    const { tokens, keyring, clock } = await setup(t, { audience: 'https://api.example' })
    const { token } = await tokens.issue('u', 'c', 's', SID)
    assert.equal((await tokens.verify(token)).aud, 'https://api.example')
    const other = new AccessTokens(keyring, clock, {
      ...defaults,
      audience: 'https://other.example',
    })
    await assert.rejects(other.verify(token), invalidToken(/for another API/))
  })

  it('rejects a token once the clock reaches exp', async (t) => {
    const { tokens, clock } = await setup(t, { cacheSize: 0 })
    const { token } = await tokens.issue('u', 'c', 's', SID)
    clock.advance(899_000)
    assert.equal((await tokens.verify(token)).sub, 'u')
    clock.advance(1_000)
    await assert.rejects(tokens.verify(token), invalidToken(/expired/))
  })

  it('still rejects an expired token that was served from the cache', async (t) => {
    const { tokens, clock } = await setup(t)
    const { token } = await tokens.issue('u', 'c', 's', SID)
    const find = fullChecks(t, tokens)
    await tokens.verify(token)
    assert.equal(find.mock.callCount(), 1, 'the first verify checks the signature')
    clock.advance(600_000)
    await tokens.verify(token)
    assert.equal(find.mock.callCount(), 1, 'the second verify is a cache hit')
    clock.advance(300_000)
    await assert.rejects(tokens.verify(token), invalidToken(/expired/))
    clock.advance(60_000)
    await assert.rejects(tokens.verify(token), invalidToken(/expired/))
  })

  it('keeps at most cacheSize verified tokens and evicts the oldest', async (t) => {
    const { tokens } = await setup(t, { cacheSize: 3 })
    const issued = await Promise.all(
      Array.from({ length: 10 }, (_, i) => tokens.issue(`user-${i}`, 'c', 's', SID)),
    )
    const find = fullChecks(t, tokens)
    for (const { token } of issued) await tokens.verify(token)
    assert.equal(find.mock.callCount(), 10)
    // The last three are cached; the first was evicted long ago and needs a full check again.
    for (const { token } of issued.slice(-3)) await tokens.verify(token)
    assert.equal(find.mock.callCount(), 10)
    const first = issued[0]
    assert.ok(first)
    await tokens.verify(first.token)
    assert.equal(find.mock.callCount(), 11)
  })

  it('caches nothing when cacheSize is 0', async (t) => {
    const { tokens } = await setup(t, { cacheSize: 0 })
    const { token } = await tokens.issue('u', 'c', 's', SID)
    const find = fullChecks(t, tokens)
    await tokens.verify(token)
    await tokens.verify(token)
    assert.equal(find.mock.callCount(), 2)
  })

  it('keeps its cache per instance: a fresh one verifies in full what another has cached', async (t) => {
    const { tokens, keyring, clock } = await setup(t)
    const { token } = await tokens.issue('u', 'c', 's', SID)
    await tokens.verify(token)
    const fresh = new AccessTokens(keyring, clock, defaults)
    const find = fullChecks(t, fresh)
    await fresh.verify(token)
    await fresh.verify(token)
    assert.equal(find.mock.callCount(), 1)
  })

  it('rejects a token with a tampered payload', async (t) => {
    const { tokens } = await setup(t, { cacheSize: 0 })
    const { token } = await tokens.issue('u', 'c', 'profile', SID)
    const [h, , s] = token.split('.')
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(token), scope: 'admin' })).toString(
      'base64url',
    )
    await assert.rejects(tokens.verify(`${h}.${payload}.${s}`), invalidToken(/invalid/))
  })

  it("a tampered payload carrying a cached token's signature misses the cache and fails", async (t) => {
    const { tokens } = await setup(t)
    const { token } = await tokens.issue('u', 'c', 'profile', SID)
    const find = fullChecks(t, tokens)
    assert.equal((await tokens.verify(token)).scope, 'profile')
    assert.equal(find.mock.callCount(), 1)
    const [h, , s] = token.split('.')
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(token), scope: 'admin' })).toString(
      'base64url',
    )
    // Same signature, so the same cache key: the entry's whole token must match, or a forged
    // payload would be answered with the claims cached for the genuine one.
    assert.equal(tokens.fromCache(`${h}.${payload}.${s}`), undefined)
    await assert.rejects(tokens.verify(`${h}.${payload}.${s}`), invalidToken(/invalid/))
    assert.equal(find.mock.callCount(), 2)
    // The genuine token is still a hit.
    assert.equal(tokens.fromCache(token)?.scope, 'profile')
    assert.equal(find.mock.callCount(), 2)
  })

  it('rejects a malformed token', async (t) => {
    const { tokens } = await setup(t)
    await assert.rejects(tokens.verify('not.a.jwt'), invalidToken(/malformed/))
    await assert.rejects(tokens.verify(''), invalidToken(/malformed/))
  })

  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`refuses every non-canonical base64url spelling of a valid ${alg} token, cached or not`, async (t) => {
      const { tokens } = await setup(t, {}, alg)
      const token = await tokenWithBothUrlSymbols(
        async () => (await tokens.issue('user-1', 'portcullis', 'profile', SID)).token,
      )
      const spellings = { ...nonCanonicalSpellings(token), ...nonB64tokenSpellings(token) }
      for (const [what, spelling] of Object.entries(spellings)) {
        await assert.rejects(tokens.verify(spelling), invalidToken(/malformed/), what)
        assert.equal(await tokens.claimsOf(spelling), null, what)
      }
      // Once the canonical token is cached, its other spellings still miss and still fail.
      assert.equal((await tokens.verify(token)).sid, 'sid-1')
      for (const [what, spelling] of Object.entries(spellings)) {
        assert.throws(() => tokens.fromCache(spelling), invalidToken(/malformed/), what)
        await assert.rejects(tokens.verifyUncached(spelling), invalidToken(/malformed/), what)
      }
    })
  }

  it('rejects a token signed by a key this server does not hold', async (t) => {
    const a = await setup(t)
    const b = await setup(t)
    const { token } = await a.tokens.issue('u', 'c', 's', SID)
    await assert.rejects(b.tokens.verify(token), invalidToken(/not signed by a key of this server/))
  })

  it('rejects a token without typ at+jwt even when signed by a held key', async (t) => {
    const { tokens, keyring } = await setup(t)
    const key = keyring.signingKey()
    const now = NOW / 1000
    const token = await new SignJWT({ client_id: 'c', scope: 's' })
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject('u')
      .setAudience(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('j')
      .sign(key.privateKey)
    await assert.rejects(tokens.verify(token), invalidToken(/invalid/))
  })

  it('rejects a signed token whose amr is not a list of strings or auth_time not whole seconds', async (t) => {
    const { tokens, keyring } = await setup(t)
    const key = keyring.signingKey()
    const now = NOW / 1000
    const signed = (claims: Record<string, unknown>) =>
      new SignJWT({ client_id: 'c', scope: 's', sid: 'sid-1', ...claims })
        .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
        .setIssuer(ISSUER)
        .setSubject('u')
        .setAudience(ISSUER)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti('j')
        .sign(key.privateKey)
    const good = await tokens.verify(await signed({ amr: ['pwd'], auth_time: now }))
    assert.deepEqual([good.amr, good.auth_time], [['pwd'], now])
    for (const bad of [
      { amr: 'pwd' },
      { amr: ['pwd', 1] },
      { auth_time: '1' },
      { auth_time: 1.5 },
    ]) {
      await assert.rejects(tokens.verify(await signed(bad)), invalidToken(/invalid/), String(bad))
    }
  })
})

describe('BoundedCache', () => {
  it('never holds more entries than its limit while many distinct keys are set', () => {
    const cache = new BoundedCache<number>(5)
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i)
      assert.ok(cache.size <= 5, `size ${cache.size} after ${i + 1} sets`)
    }
    assert.equal(cache.size, 5)
    assert.deepEqual(
      [95, 96, 97, 98, 99].map((i) => cache.get(`k${i}`)),
      [95, 96, 97, 98, 99],
    )
    assert.equal(cache.get('k94'), undefined)
  })

  it('evicts the entry inserted first', () => {
    const cache = new BoundedCache<string>(2)
    cache.set('a', 'A')
    cache.set('b', 'B')
    cache.get('a')
    cache.set('c', 'C')
    assert.equal(cache.get('a'), undefined)
    assert.equal(cache.get('b'), 'B')
    assert.equal(cache.get('c'), 'C')
  })

  it('stores nothing with a limit of 0', () => {
    const cache = new BoundedCache<AccessClaims>(0)
    cache.set('a', {} as AccessClaims)
    assert.equal(cache.size, 0)
    assert.equal(cache.get('a'), undefined)
  })

  it('deletes and clears entries', () => {
    const cache = new BoundedCache<number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.delete('a')
    assert.equal(cache.get('a'), undefined)
    assert.equal(cache.size, 1)
    cache.clear()
    assert.equal(cache.size, 0)
  })
})
