import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { AccessTokens } from '../../src/auth/access-tokens.js'
import {
  checkResourceScopes,
  requestedResource,
  scopesForResource,
} from '../../src/auth/resources.js'
import { ManualClock } from '../../src/clock.js'
import { ApiError } from '../../src/errors.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { keyringFor } from '../support/keyring.js'

const API = 'https://api.example.com/'

/** Runs `fn`, which must throw the ApiError `code`; returns its description. */
function refused(fn: () => unknown, code: string): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error))
    assert.equal(error.code, code)
    return error.description
  }
  return assert.fail(`expected ${code}`)
}

/** A password sign-in's session. */
const SESSION = { id: 'sid-1', amr: ['pwd'], authTime: '2026-06-01T12:00:00.000Z' }

describe('requestedResource (RFC 8707 §2)', () => {
  it('is null when no resource is named', () => {
    assert.equal(requestedResource(undefined, [API]), null)
    assert.equal(requestedResource('', [API]), null)
  })

  it('returns a configured resource, compared as an exact string', () => {
    assert.equal(requestedResource(API, ['https://other.example/', API]), API)
  })

  for (const raw of ['https://api.example.com', 'HTTPS://api.example.com/', `${API}x`]) {
    it(`refuses ${raw} (not configured exactly) with invalid_target`, () => {
      const description = refused(() => requestedResource(raw, [API]), 'invalid_target')
      assert.match(description, /resource is not an API this server issues tokens for/)
    })
  }

  it('refuses every resource when none is configured', () => {
    refused(() => requestedResource(API, []), 'invalid_target')
  })
})

describe('checkResourceScopes: admin is only for Portcullis itself', () => {
  it('refuses admin asked for with a resource, naming the scope', () => {
    const description = refused(
      () => checkResourceScopes(['profile', 'admin'], API),
      'invalid_scope',
    )
    assert.equal(
      description,
      'scope admin is only granted in tokens for this server, never with a resource',
    )
  })

  it('lets admin be asked for without a resource', () => {
    assert.deepEqual(checkResourceScopes(['profile', 'admin'], null), ['profile', 'admin'])
  })

  it('lets other scopes, and no scope at all, be asked for with a resource', () => {
    assert.deepEqual(checkResourceScopes(['profile', 'email'], API), ['profile', 'email'])
    assert.equal(checkResourceScopes(null, API), null)
  })
})

describe('scopesForResource', () => {
  it('keeps every allowed scope for Portcullis itself', () => {
    assert.deepEqual(scopesForResource(['profile', 'admin'], null), ['profile', 'admin'])
  })

  it('drops admin from what a token for a resource may get', () => {
    assert.deepEqual(scopesForResource(['profile', 'admin', 'email'], API), ['profile', 'email'])
  })
})

describe('AccessTokens and audiences', () => {
  const ISSUER = 'http://portcullis.test'
  const OTHER = 'https://other.example.com/'

  async function tokensFor(t: TestContext, resources: readonly string[]) {
    const store = openSqliteStore(':memory:')
    t.after(() => store.close())
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const keyring = keyringFor(store, 'ES256', clock)
    await keyring.load()
    const options = { issuer: ISSUER, audience: ISSUER, ttlSeconds: 900, cacheSize: 100 }
    return {
      clock,
      tokens: new AccessTokens(keyring, clock, { ...options, resources }),
      /** The same keys, configured with `other` resources (an operator's later change). */
      withResources: (other: readonly string[]) =>
        new AccessTokens(keyring, clock, { ...options, resources: other }),
    }
  }

  async function rejection(promise: Promise<unknown>): Promise<ApiError> {
    const error = await promise.then(
      () => assert.fail('expected invalid_token'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof ApiError, String(error))
    assert.equal(error.code, 'invalid_token')
    assert.equal(error.status, 401)
    return error
  }

  it('verify refuses a token for a resource, saying it is for another API', async (t) => {
    const { tokens } = await tokensFor(t, [API])
    const { token } = await tokens.issue('user-1', 'client', 'profile', SESSION, API)
    const error = await rejection(tokens.verify(token))
    assert.equal(
      error.description,
      'the access token is for another API (its audience is not this server)',
    )
  })

  it('verifyAnyAudience accepts Portcullis and every configured resource', async (t) => {
    const { tokens } = await tokensFor(t, [API, OTHER])
    for (const audience of [null, API, OTHER]) {
      const { token } = await tokens.issue('user-1', 'client', 'profile', SESSION, audience)
      assert.equal((await tokens.verifyAnyAudience(token)).aud, audience ?? ISSUER)
    }
  })

  it('verifyAnyAudience refuses a resource no longer configured', async (t) => {
    const { tokens, withResources } = await tokensFor(t, [API, OTHER])
    const { token } = await tokens.issue('user-1', 'client', 'profile', SESSION, OTHER)
    await rejection(withResources([API]).verifyAnyAudience(token))
    assert.equal(await withResources([API]).claimsOf(token), null)
  })

  it('verifyAnyAudience fills no cache that verify would trust', async (t) => {
    const { tokens } = await tokensFor(t, [API])
    const { token } = await tokens.issue('user-1', 'client', 'profile', SESSION, API)
    await tokens.verifyAnyAudience(token)
    assert.equal(tokens.fromCache(token), undefined)
    await rejection(tokens.verify(token))
  })

  it('claimsOf (revocation) reads a resource token, even expired', async (t) => {
    const { tokens, clock } = await tokensFor(t, [API])
    const { token } = await tokens.issue('user-1', 'client', 'profile', SESSION, API)
    clock.advance(3600 * 1000)
    await rejection(tokens.verifyAnyAudience(token))
    assert.equal((await tokens.claimsOf(token))?.sid, 'sid-1')
  })
})
