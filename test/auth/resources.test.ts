import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  checkResourceScopes,
  requestedResource,
  scopesForResource,
} from '../../src/auth/resources.js'
import { ApiError } from '../../src/errors.js'

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
