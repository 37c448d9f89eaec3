import type { VerifiedClaims } from './claims.js'
import { VerifyError } from './errors.js'

/**
 * Whose tokens a route accepts. Portcullis issues two kinds of access token:
 *
 * - a **user** token (password or refresh grant) carries `sid`, and `sub` is the user's id;
 * - a **client** token (`client_credentials`, RFC 6749 §4.4) has no `sid`, and `sub` is the
 *   client's `client_id` (RFC 9068 §2.2): a machine acting for itself, not for any user.
 *
 * `'user'` (the default) refuses client tokens, so a route that keys data by `sub` can never
 * file it under a client. `'client'` accepts only client tokens (a machine route); `'any'`
 * accepts both, and the route must then tell them apart itself.
 */
export type TokenSubject = 'user' | 'client' | 'any'

/** The subjects {@link TokenSubject} allows, for checking options given at run time. */
export const tokenSubjects: readonly TokenSubject[] = ['user', 'client', 'any']

/** Throws a TypeError unless `value` is a {@link TokenSubject}; returns it. @internal */
export function checkedSubject(value: unknown, option: string): TokenSubject {
  if (!tokenSubjects.includes(value as TokenSubject)) {
    throw new TypeError(`${option} must be one of ${tokenSubjects.join(', ')}`)
  }
  return value as TokenSubject
}

/** Whether the token was issued to a machine client (`client_credentials`): it has no `sid`. */
export function isClientToken(claims: Pick<VerifiedClaims, 'sid'>): boolean {
  return claims.sid === undefined
}

/**
 * Throws `invalid_token` (401) unless the token's kind is one `subject` accepts (RFC 6750 §3.1:
 * the token is not valid for this resource). Returns the claims.
 * @internal
 */
export function assertSubject(
  claims: VerifiedClaims,
  subject: TokenSubject,
  realm: string,
): VerifiedClaims {
  const client = isClientToken(claims)
  if (subject === 'user' && client) {
    throw new VerifyError('invalid_token', "this endpoint needs a user's access token", { realm })
  }
  if (subject === 'client' && !client) {
    throw new VerifyError('invalid_token', "this endpoint needs a client's access token", {
      realm,
    })
  }
  return claims
}
