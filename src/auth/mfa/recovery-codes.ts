import { createHmac } from 'node:crypto'
import { Secret } from 'otpauth'
import type { RecoveryCodeStore } from '../../store/store.js'

/** How many recovery codes a set holds. */
export const recoveryCodeCount = 10

/** 10 base32 characters: 50 random bits each (NIST SP 800-63B-4 §3.1.2.1 asks for ≥ 20). */
const length = 10

/**
 * A new set of recovery codes, shown once as `xxxxx-xxxxx` (lower-case RFC 4648 base32: no
 * 0, 1, 8 or 9 to mistake for letters). Only their keyed hash is stored (`RecoveryCodes`).
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: recoveryCodeCount }, () => {
    // 7 random bytes give 11 base32 characters; the first 10 carry 50 uniform bits.
    const chars = new Secret({ size: 7 }).base32.slice(0, length).toLowerCase()
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/**
 * The canonical form of what a user typed as a recovery code (case, spaces and dashes
 * ignored), or null when it does not have the shape of one.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const compact = input.replace(/[\s-]+/g, '').toLowerCase()
  return compact.length === length && /^[a-z2-7]+$/.test(compact) ? compact : null
}

/**
 * A user's recovery codes: issued as a set, each spent at most once.
 *
 * Security invariant: a code is stored only as HMAC-SHA-256 under the server secret
 * `recovery-code-key` (sealed by the key-encryption key when one is set) over the user id and
 * the normalised code. 50 bits are under the 112 that NIST SP 800-63B-4 §3.1.2.1 lets be stored
 * with a bare hash: while the key-encryption key seals the server secret (production requires
 * one unless told otherwise), a database copy alone is useless for testing guesses offline; the
 * user id salts each hash, so one guess never tests every user's codes at once.
 */
export class RecoveryCodes {
  /** `key`: the server secret `recovery-code-key` (services.ts). */
  constructor(
    private readonly store: RecoveryCodeStore,
    private readonly key: string,
  ) {}

  /**
   * What is stored for `userId`'s recovery code `input` (in any accepted form); null for a
   * wrong shape. The one hash of both issuing and checking.
   */
  hash(userId: string, input: string): string | null {
    const normalized = normalizeRecoveryCode(input)
    if (normalized === null) return null
    // A user id holds no newline; the code is fixed-length base32: the message is unambiguous.
    return createHmac('sha256', this.key).update(`${userId}\n${normalized}`).digest('base64url')
  }

  /** Replaces the user's recovery codes with a new set (the old one dies); returns it, to show once. */
  async issue(userId: string, at: string): Promise<string[]> {
    const codes = newRecoveryCodes()
    const hashes = codes.map((c) => this.hash(userId, c)).filter((h): h is string => h !== null)
    await this.store.replace(userId, hashes, at)
    return codes
  }

  /** Spends the user's unused code `input` (atomically): true at most once per code. */
  async spend(userId: string, input: string, at: string): Promise<boolean> {
    const hash = this.hash(userId, input)
    return hash !== null && (await this.store.spend(userId, hash, at))
  }
}
