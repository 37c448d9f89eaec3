import { invalidRequest } from '../../errors.js'
import type { TokenBody } from '../../wire/token-response.js'
import { accountKey } from '../login-throttle.js'
import { type Grant, present, userTokenResponse } from './grant.js'

/** The grant type of the password grant's second step (a URI, RFC 6749 §4.5). */
export const mfaGrantType = 'urn:portcullis:params:oauth:grant-type:mfa'

/**
 * The password grant's second step: `mfa_token` (from its 403 `mfa_required` or
 * `mfa_enrollment_required`) and `otp`, a TOTP code or a recovery code (or, for an account that
 * is enrolling, the first code of its new authenticator app). Completes the sign-in with the
 * first step's scope and resource and starts the session with the sign-in's `amr` and
 * `auth_time` (RFC 8176, OpenID Connect Core §2), answering as the password grant does (refresh
 * token, device token), plus the new recovery codes when this step confirmed an enrollment.
 * 400 invalid_grant for an unknown, expired, spent or other client's token or a wrong code; 429
 * while the account's second-factor attempts are throttled.
 */
export const mfaGrant: Grant = async (deps, form, context) => {
  const mfaToken = present(form.mfa_token)
  const otp = present(form.otp)
  if (mfaToken === undefined) throw invalidRequest('"mfa_token" is required')
  if (otp === undefined) throw invalidRequest('"otp" is required')
  const { client } = context
  const auditContext = { clientId: client.id, ip: context.ip, userAgent: context.userAgent }
  const done = await deps.mfaLogins.complete(mfaToken, client.id, otp, auditContext)
  const { user, scope, resource } = done
  const { session, refreshToken } = await deps.sessions.start(
    user.id,
    client.id,
    scope,
    { ip: context.ip, userAgent: context.userAgent },
    {
      ...(client.grantTypes.includes('refresh_token')
        ? { refreshToken: true }
        : { refreshToken: false, lifetimeSeconds: deps.policy.accessTokenTtlSeconds }),
      resource,
      amr: done.amr,
      authTime: done.authTime,
    },
  )
  await deps.audit.record({
    type: 'login.success',
    userId: user.id,
    ...auditContext,
    detail: { session_id: session.id, scope, amr: done.amr },
  })
  const body = await userTokenResponse(
    deps,
    user.id,
    client.id,
    session.id,
    scope,
    refreshToken,
    resource,
  )
  const deviceToken = deps.throttle.deviceToken(accountKey(user, ''))
  return {
    ...body,
    ...(done.recoveryCodes ? { recovery_codes: done.recoveryCodes } : {}),
    ...(deviceToken ? { device_token: deviceToken } : {}),
  } satisfies TokenBody
}
