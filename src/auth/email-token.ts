import { randomBytes } from 'node:crypto'
import { sha256 } from './sha256.js'

/** The SHA-256 (base64url) of an email token: all the store ever holds of it. */
export const hashEmailToken = (token: string): string => sha256(token)

/**
 * A new email token: 256 random bits (base64url, 43 characters), and its hash to store. A
 * plain hash suffices (no salt, no slow hash): the token has full entropy, nothing to guess.
 */
export function newEmailToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashEmailToken(token) }
}
