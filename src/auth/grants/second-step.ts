import { ApiError, invalidGrant } from '../../errors.js'
import type { UserRecord } from '../../store/store.js'
import { isMultiFactor } from '../mfa/amr.js'
import type { PendingGrant } from '../mfa/mfa-logins.js'
import type { MfaContext } from '../mfa/mfa-service.js'
import type { GrantDeps } from './grant.js'

/**
 * After a right password: the 403 that asks for the second step, or null when the sign-in may
 * finish now. A user with a factor gets `mfa_required` with the `mfa_token` and the methods
 * (the shape Auth0 made familiar); a user holding a role of `policy.mfaRequiredRoles` without
 * any factor gets `mfa_enrollment_required` with an `mfa_token` that `POST /mfa/associate`
 * enrolls with. No session starts either way. A user whose only factor is a passkey can finish
 * only on the hosted login page (a WebAuthn ceremony needs a browser).
 */
export async function secondStep(
  deps: Pick<GrantDeps, 'mfa' | 'mfaLogins' | 'policy'>,
  user: UserRecord,
  grant: PendingGrant,
  context: MfaContext & { clientId: string },
): Promise<ApiError | null> {
  const methods = await deps.mfa.methods(user.id)
  if (methods.length === 0) {
    if (!mustEnroll(deps, user)) return null
    const mfaToken = await deps.mfaLogins.start(user, context.clientId, grant, context)
    return new ApiError(
      'mfa_enrollment_required',
      'the password is right, but this account must enroll a second factor first: POST /mfa/associate with Authorization: Bearer <mfa_token> to get an authenticator-app secret, then send a current code with grant_type=urn:portcullis:params:oauth:grant-type:mfa, mfa_token and otp (or sign in on the hosted login page, which walks through enrollment)',
      {},
      { fields: { mfa_token: mfaToken } },
    )
  }
  const mfaToken = await deps.mfaLogins.start(user, context.clientId, grant, context)
  const description =
    methods.includes('totp') || methods.includes('recovery_code')
      ? 'the password is right; a second factor must follow: send grant_type=urn:portcullis:params:oauth:grant-type:mfa with this mfa_token and otp (a code of the authenticator app, or a recovery code) within 5 minutes'
      : "the password is right; this account's second factor is a passkey, which can complete the sign-in only on the hosted login page (GET /authorize): the password grant cannot finish it"
  return new ApiError(
    'mfa_required',
    description,
    {},
    {
      fields: { mfa_token: mfaToken, mfa_methods: methods },
    },
  )
}

/** Whether `user` holds a role that requires a second factor (with none, no tokens). */
const mustEnroll = (deps: Pick<GrantDeps, 'policy'>, user: UserRecord) =>
  user.roles.some((role) => deps.policy.mfaRequiredRoles.includes(role))

/**
 * The authorization code grant's check: a user holding a role that requires a second factor,
 * with none, gets no tokens (403 mfa_enrollment_required); the hosted login page walks them
 * through enrollment before it issues a code.
 */
export async function refuseUnenrolled(
  deps: Pick<GrantDeps, 'mfa' | 'policy'>,
  user: UserRecord,
): Promise<void> {
  if (!mustEnroll(deps, user) || (await deps.mfa.methods(user.id)).length > 0) return
  throw new ApiError(
    'mfa_enrollment_required',
    'this account must enroll a second factor before it gets tokens: sign in again on the hosted login page (GET /authorize), which walks through enrolling an authenticator app',
  )
}

/**
 * The refresh grant's check: a session signed in by a password alone (before its user enrolled a
 * factor) gets no more tokens once the user has one, and a user holding a role that requires a
 * factor, with none, gets none either (RFC 9700 §4.14: a refresh token must not outlive the
 * authentication it stands for). The rotated token is never returned, so the session is dead.
 */
export async function refuseWeakRefresh(
  deps: Pick<GrantDeps, 'mfa' | 'policy'>,
  user: UserRecord,
  amr: readonly string[],
): Promise<void> {
  // A required role without a factor first: even a multi-factor sign-in whose factors an
  // operator has since reset gets nothing until the user enrolls again.
  await refuseUnenrolled(deps, user)
  if (isMultiFactor(amr) || !(await deps.mfa.hasFactor(user.id))) return
  throw invalidGrant(
    'this session was signed in without the second factor the account now has: sign in again',
  )
}
