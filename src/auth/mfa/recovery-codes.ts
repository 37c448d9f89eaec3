import { Secret } from 'otpauth'
import type { RecoveryCodeStore } from '../../store/store.js'
import { sha256 } from '../sha256.js'

/** How many recovery codes a set holds. */
export const recoveryCodeCount = 10

/** 10 base32 characters: 50 random bits each (NIST SP 800-63B-4 §3.1.2.1 asks for ≥ 20). */
const length = 10

/**
 * A new set of recovery codes, shown once as `xxxxx-xxxxx` (lower-case RFC 4648 base32: no
 * 0, 1, 8 or 9 to mistake for letters). Only their SHA-256 is stored (`hashRecoveryCode`).
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

/** What is stored for a recovery code (given in any accepted form); null for a wrong shape. */
export function hashRecoveryCode(input: string): string | null {
  const normalized = normalizeRecoveryCode(input)
  return normalized === null ? null : sha256(normalized)
}

/** Replaces the user's recovery codes with a new set (the old one dies); returns it, to show once. */
export async function issueRecoveryCodes(
  store: RecoveryCodeStore,
  userId: string,
  at: string,
): Promise<string[]> {
  const codes = newRecoveryCodes()
  await store.replace(
    userId,
    codes.map((c) => sha256(normalizeRecoveryCode(c) ?? c)),
    at,
  )
  return codes
}
