import { ApiError, invalidGrant, invalidRequest } from '../../errors.js'
import type { TokenBody } from '../../wire/token-response.js'
import { passwordLogin } from '../password-login.js'
import { checkResourceScopes, requestedResource, scopesForResource } from '../resources.js'
import { grantScope, requestScope, userScopes } from '../scopes.js'
import { type Grant, present, userTokenResponse } from './grant.js'
import { secondStep } from './second-step.js'

/**
 * 400 email_not_verified: the password was right but the account's address is not verified (or
 * there is none) and PORTCULLIS_REQUIRE_VERIFIED_EMAIL is on. Distinct from invalid_grant so the
 * client can tell the user what to do; given only after the password was right, so it tells a
 * guesser nothing (RFC 6749 §5.2 lets a server define further codes).
 */
const emailNotVerified = () =>
  new ApiError(
    'email_not_verified',
    'this account must verify its email address before logging in: follow the link sent to the address (or ask for a reset link at POST /password/forgot: following it verifies the address too), then try again',
  )

/**
 * The password grant (RFC 6749 §4.3): throttled per IP, per account and IP, and per account
 * (RFC 6749 §4.3.2), audited (`passwordLogin`, shared with the hosted login page), starting a
 * session. An unknown user, a wrong password and a disabled account give the same answer (400
 * invalid_grant) after the same work. After a right password, a user with a second factor (or
 * who must enroll one) gets 403 with an `mfa_token` instead of tokens: see `secondStep`.
 */
export const passwordGrant: Grant = async (deps, form, context) => {
  const { policy, audit } = deps
  const username = present(form.username)
  const password = present(form.password)
  if (username === undefined) throw invalidRequest('"username" is required')
  if (password === undefined) throw invalidRequest('"password" is required')
  const { client } = context
  // Scopes nobody could have are refused before any password work; the roles' after it.
  const scopeRequest = requestScope(present(form.scope), policy.scopes, client.scopes)
  // RFC 8707 §2: the API the token is for (its `aud`); null: Portcullis itself. Checked with
  // the scopes, before any password work.
  const resource = requestedResource(present(form.resource), policy.resources)
  checkResourceScopes(scopeRequest, resource)
  const result = await passwordLogin(deps, policy, username, password, {
    clientId: client.id,
    ip: context.ip,
    userAgent: context.userAgent,
    deviceToken: present(context.deviceToken),
  })
  if (!result.ok) {
    if (result.reason === 'email_not_verified') throw emailNotVerified()
    throw invalidGrant('invalid username or password')
  }
  const { user, deviceToken } = result
  const auditContext = { clientId: client.id, ip: context.ip, userAgent: context.userAgent }
  const scope = grantScope(
    scopeRequest,
    scopesForResource(userScopes(policy.roles, user, client), resource),
    policy.defaultScopes,
  )
  // Only a right password gets here, so a wrong one never tells whether MFA is on.
  const pending = await secondStep(deps, user, { scope, resource }, auditContext)
  if (pending) throw pending
  // RFC 6749 §5.1: the refresh token is optional; a client that may not use the refresh_token
  // grant gets none (its session still carries the access tokens' sid).
  const { session, refreshToken } = await deps.sessions.start(
    user.id,
    client.id,
    scope,
    { ip: context.ip, userAgent: context.userAgent },
    client.grantTypes.includes('refresh_token')
      ? { refreshToken: true, resource }
      : { refreshToken: false, lifetimeSeconds: policy.accessTokenTtlSeconds, resource },
  )
  await audit.record({
    type: 'login.success',
    userId: user.id,
    ...auditContext,
    detail: { session_id: session.id, scope },
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
  return deviceToken ? ({ ...body, device_token: deviceToken } satisfies TokenBody) : body
}
