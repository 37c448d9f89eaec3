import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AuthorizationCodeRecord } from '../../store/store.js'
import { sha256 } from '../sha256.js'

/**
 * How long a code lives: RFC 6749 §4.1.2 recommends at most ten minutes; OAuth 2.1 and RFC 9700 §4.2
 * want them short-lived, and 60 seconds is what node-oidc-provider uses. A browser redirect and a back-channel exchange take well under that.
 */
export const codeTtlSeconds = 60

/** The SHA-256 (base64url) of a code or PKCE verifier: the only form of a code that is stored. */
export { sha256 }

/** A new code: 256 random bits, base64url (43 characters), and its hash. */
export function newCode(): { code: string; hash: string } {
  const code = randomBytes(32).toString('base64url')
  return { code, hash: sha256(code) }
}

/** The shape of a code this server issued; anything else is not looked up. */
export const codeShape = /^[A-Za-z0-9_-]{43}$/

/** RFC 7636 §4.1: code_verifier = 43*128unreserved. */
export const verifierShape = /^[A-Za-z0-9\-._~]{43,128}$/

/**
 * Whether `verifier` proves the code's S256 challenge (RFC 7636 §4.6):
 * BASE64URL(SHA256(ASCII(verifier))) == code_challenge, compared in constant time.
 */
export function verifierMatches(code: AuthorizationCodeRecord, verifier: string): boolean {
  if (!verifierShape.test(verifier)) return false
  const computed = Buffer.from(sha256(verifier))
  const expected = Buffer.from(code.codeChallenge)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}
