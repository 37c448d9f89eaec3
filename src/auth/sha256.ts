import { createHash } from 'node:crypto'

/**
 * SHA-256 of `value`, base64url: how every high-entropy secret is stored (refresh tokens, client
 * secrets, email tokens, authorization codes, browser-session cookies). A fast hash suffices for
 * 256-bit random values (no dictionary to resist, unlike passwords).
 */
export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('base64url')
