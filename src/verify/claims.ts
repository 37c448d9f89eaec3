import type { JWTPayload } from 'jose'
import { VerifyError } from './errors.js'

/**
 * The claims of a verified Portcullis access token (RFC 9068 §2.2). Every member listed here
 * was checked to be present with the right type; other claims pass through untyped.
 */
export interface VerifiedClaims {
  /** The issuer; equals the verifier's `issuer`. */
  readonly iss: string
  /**
   * On a user token, the user's immutable id: key anything a user owns by this, never by the
   * username. On a client token (no `sid`), the client's `client_id`; see `TokenSubject`.
   */
  readonly sub: string
  /** The audience; contains the verifier's `audience`. */
  readonly aud: string | readonly string[]
  /** Expiry, seconds since the epoch. */
  readonly exp: number
  /** Issue time, seconds since the epoch. */
  readonly iat: number
  /** The token's unique id. */
  readonly jti: string
  /** The client the token was issued to. */
  readonly client_id: string
  /** Granted scopes, space-separated; see {@link scopesOf} and {@link requireScopes}. */
  readonly scope: string
  /**
   * The Portcullis session the token belongs to: present (non-empty) on every user token,
   * absent on a `client_credentials` token.
   */
  readonly sid?: string
  /**
   * How the user signed in (RFC 8176 methods, e.g. `["pwd"]`, `["pwd", "otp", "mfa"]`, or
   * `["hwk", "user", "mfa"]` for a passkey) on a user token (RFC 9068 §2.2.1); a refresh keeps
   * the original sign-in's. `mfa` in it means a second factor was used.
   */
  readonly amr?: readonly string[]
  /** When that sign-in happened, seconds since the epoch (RFC 9068 §2.2.1); refreshes keep it. */
  readonly auth_time?: number
  /** Not-before time, when present. */
  readonly nbf?: number
  /** Any other claim, unchecked. */
  readonly [claim: string]: unknown
}

// The realm each verified claims object was verified in, so requireScopes can name it.
const realms = new WeakMap<object, string>()

const stringClaims = ['iss', 'sub', 'jti', 'client_id', 'scope'] as const
const numberClaims = ['exp', 'iat'] as const

/**
 * Checks that a payload jose already verified has every claim a Portcullis access token must
 * carry, with the right type; returns it frozen. Throws `invalid_token` otherwise.
 * @internal
 */
export function toVerifiedClaims(payload: JWTPayload, realm: string): VerifiedClaims {
  const missing = (claim: string) =>
    new VerifyError('invalid_token', `the access token lacks a valid ${claim} claim`, { realm })
  for (const claim of stringClaims) {
    const value = payload[claim]
    if (typeof value !== 'string' || (claim !== 'scope' && value === '')) throw missing(claim)
  }
  for (const claim of numberClaims) {
    if (typeof payload[claim] !== 'number') throw missing(claim)
  }
  if (payload.sid !== undefined && (typeof payload.sid !== 'string' || payload.sid === '')) {
    throw missing('sid')
  }
  const { amr, auth_time } = payload as { amr?: unknown; auth_time?: unknown }
  if (amr !== undefined && !(Array.isArray(amr) && amr.every((m) => typeof m === 'string'))) {
    throw missing('amr')
  }
  if (auth_time !== undefined && !Number.isInteger(auth_time)) throw missing('auth_time')
  const claims = Object.freeze({ ...payload }) as VerifiedClaims
  realms.set(claims, realm)
  return claims
}

/** The granted scopes as a list (RFC 6749 §3.3: space-separated, order meaningless). */
export function scopesOf(claims: Pick<VerifiedClaims, 'scope'>): string[] {
  return claims.scope.split(' ').filter((s) => s !== '')
}

/**
 * Throws `insufficient_scope` (403, with `scope="…"` naming every scope needed in the
 * challenge) unless the token was granted all of `scopes`. Returns the claims, so it can wrap
 * a `verify` call. The realm is the one the claims were verified in.
 */
export function requireScopes(claims: VerifiedClaims, ...scopes: string[]): VerifiedClaims {
  const granted = new Set(scopesOf(claims))
  const lacking = scopes.filter((s) => !granted.has(s))
  if (lacking.length > 0) {
    throw new VerifyError(
      'insufficient_scope',
      `the access token lacks the scope ${lacking.join(' ')}`,
      { realm: realms.get(claims), scope: scopes.join(' ') },
    )
  }
  return claims
}
