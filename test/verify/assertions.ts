import assert from 'node:assert/strict'
import { VerifyError } from '../../src/verify/index.js'

/** Asserts a rejection with invalid_token, 401 and its RFC 6750 challenge. */
export async function assertInvalidToken(
  promise: Promise<unknown>,
  description?: RegExp,
  realm = 'notes-api',
): Promise<VerifyError> {
  let caught: unknown
  await assert.rejects(promise, (error) => {
    caught = error
    return true
  })
  assert.ok(caught instanceof VerifyError, `expected a VerifyError, got ${String(caught)}`)
  assert.equal(caught.code, 'invalid_token')
  assert.equal(caught.status, 401)
  assert.match(
    caught.wwwAuthenticate,
    new RegExp(`^Bearer realm="${realm}", error="invalid_token", error_description="[^"]+"$`),
  )
  if (description) assert.match(caught.description, description)
  return caught
}
