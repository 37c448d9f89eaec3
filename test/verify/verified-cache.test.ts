import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { VerifiedClaims } from '../../src/verify/claims.js'
import { VerifyError } from '../../src/verify/errors.js'
import { VerifiedTokenCache } from '../../src/verify/verified-cache.js'

const claims = (exp: number): VerifiedClaims => ({
  iss: 'https://issuer.test',
  sub: 'user-1',
  aud: 'api',
  exp,
  iat: exp - 60,
  jti: 'j',
  client_id: 'c',
  scope: 'profile',
  sid: 's',
})

function cache(options: { size?: number; held?: () => Promise<boolean> } = {}) {
  let nowMs = 1_000_000
  const asked: (string | undefined)[] = []
  const tokens = new VerifiedTokenCache({
    size: options.size ?? 2,
    clockTolerance: 0,
    now: () => nowMs,
    realm: 'api',
    source: {
      stillHolds: (kid) => {
        asked.push(kid)
        return (options.held ?? (async () => true))()
      },
    },
  })
  return { tokens, asked, advance: (seconds: number) => (nowMs += seconds * 1000) }
}

const rejectsWith = (code: string, description: RegExp) => (e: unknown) =>
  e instanceof VerifyError && e.code === code && description.test(e.message) && e.realm === 'api'

describe('VerifiedTokenCache', () => {
  it('serves a remembered token while its kid is still held, asking on every hit', async () => {
    const { tokens, asked } = await cache()
    assert.equal(await tokens.lookup('a'), undefined)
    tokens.remember('a', claims(1060), 'kid-1')
    assert.equal((await tokens.lookup('a'))?.sub, 'user-1')
    await tokens.lookup('a')
    assert.deepEqual(asked, ['kid-1', 'kid-1'])
  })

  it('refuses and forgets an expired token', async () => {
    const { tokens, advance, asked } = cache()
    tokens.remember('a', claims(1060), 'kid-1')
    advance(60)
    await assert.rejects(tokens.lookup('a'), rejectsWith('invalid_token', /expired/))
    assert.equal(await tokens.lookup('a'), undefined)
    assert.deepEqual(asked, [])
  })

  it('refuses and forgets a token whose key is no longer held', async () => {
    const { tokens } = cache({ held: async () => false })
    tokens.remember('a', claims(1060), 'kid-1')
    await assert.rejects(tokens.lookup('a'), rejectsWith('invalid_token', /unknown key/))
    assert.equal(await tokens.lookup('a'), undefined)
  })

  it('answers temporarily_unavailable when the keys cannot be checked', async () => {
    const { tokens } = cache({ held: () => Promise.reject(new Error('offline')) })
    tokens.remember('a', claims(1060), 'kid-1')
    await assert.rejects(
      tokens.lookup('a'),
      rejectsWith('temporarily_unavailable', /signing keys are unavailable/),
    )
  })

  it('evicts the oldest entry when full, and remembers nothing with size 0', async () => {
    const { tokens } = cache({ size: 2 })
    for (const token of ['a', 'b', 'c']) tokens.remember(token, claims(1060), 'kid-1')
    assert.equal(await tokens.lookup('a'), undefined)
    assert.ok(await tokens.lookup('b'))
    assert.ok(await tokens.lookup('c'))
    const none = cache({ size: 0 }).tokens
    none.remember('a', claims(1060), 'kid-1')
    assert.equal(await none.lookup('a'), undefined)
  })
})
