import { isRecentMultiFactor } from './amr.js'
import type { MfaService } from './mfa-service.js'

/** A sign-in, as a session (token or browser) remembers it. */
export interface SignIn {
  userId: string
  amr: readonly string[]
  authTime: string
}

/**
 * Whether a sign-in is enough for a sensitive action (RFC 9470 step-up): a multi-factor one
 * within `maxAgeSeconds` of `now`, or any sign-in of a user who has no second factor (there is
 * nothing to step up to). The one rule behind the API's step-up challenge and the hosted pages
 * that change a user's factors.
 */
export async function stepUpSatisfied(
  mfa: Pick<MfaService, 'hasFactor'>,
  signIn: SignIn,
  now: number,
  maxAgeSeconds: number,
): Promise<boolean> {
  if (isRecentMultiFactor(signIn.amr, signIn.authTime, now, maxAgeSeconds)) return true
  return !(await mfa.hasFactor(signIn.userId))
}
