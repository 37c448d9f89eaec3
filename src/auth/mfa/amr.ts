/**
 * Authentication method references (RFC 8176 §2) of a sign-in, and what counts as multi-factor.
 * One place decides them, so tokens, browser sessions and step-up agree.
 */

/** How the second step (or a passwordless sign-in) was done. */
export type SignInMethod = 'totp' | 'recovery_code' | 'passkey_hardware' | 'passkey_synced'

/**
 * The `amr` of a sign-in: `pwd` for the password (when there was one), then the second method:
 * `otp` for a TOTP code (RFC 6238); a recovery code has no RFC 8176 value of its own, so it adds
 * only `mfa`; a passkey is `hwk` (device-bound) or `swk` (synced, backup eligible) with `user`
 * (the authenticator verified the user). `mfa` marks every sign-in with two factors, including
 * a passkey alone (possession plus user verification, WebAuthn §6.2.3).
 */
export function signInAmr(password: boolean, method: SignInMethod | null): string[] {
  const amr = password ? ['pwd'] : []
  switch (method) {
    case null:
      return amr
    case 'totp':
      return [...amr, 'otp', 'mfa']
    case 'recovery_code':
      return [...amr, 'mfa']
    case 'passkey_hardware':
      return [...amr, 'hwk', 'user', 'mfa']
    case 'passkey_synced':
      return [...amr, 'swk', 'user', 'mfa']
  }
}

/** Whether a sign-in with this `amr` was multi-factor (what step-up requires, RFC 9470). */
export const isMultiFactor = (amr: readonly string[]): boolean => amr.includes('mfa')

/**
 * Whether a sign-in by `amr` at `authTime` is a multi-factor one recent enough for a sensitive
 * action at `now` (RFC 9470 step-up: `max_age` is `maxAgeSeconds`).
 */
export const isRecentMultiFactor = (
  amr: readonly string[],
  authTime: string,
  now: number,
  maxAgeSeconds: number,
): boolean => isMultiFactor(amr) && now - Date.parse(authTime) <= maxAgeSeconds * 1000
