import { ApiError, invalidGrant, invalidRequest } from '../../errors.js'
import type { TokenBody } from '../../wire/token-response.js'
import { clientKey } from '../client-key.js'
import { accountKey } from '../login-throttle.js'
import { checkResourceScopes, requestedResource, scopesForResource } from '../resources.js'
import { grantScope, requestScope, userScopes } from '../scopes.js'
import { canonicalLogin } from '../usernames.js'
import type { LoginResult } from '../users.js'
import { type Grant, present, userTokenResponse } from './grant.js'

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
 * (RFC 6749 §4.3.2), audited, starting a session. An unknown user, a wrong password and a
 * disabled account give the same answer (400 invalid_grant) after the same work.
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
  // RFC 8707 §2: the API the token is for (its `aud`); null: Portcullis itself.
  const resource = requestedResource(present(form.resource), policy.resources)
  checkResourceScopes(scopeRequest, resource)
  // The lookup is cheap and looks the same for every login; the throttle then counts every
  // spelling of one account together, and unknown logins by their canonical text.
  const login = canonicalLogin(username)
  const found = await deps.users.findByLogin(login)
  const attempt = await deps.throttle.reserve(
    accountKey(found, login ?? username),
    clientKey(context.ip),
    present(context.deviceToken),
  )
  const auditContext = { clientId: client.id, ip: context.ip, userAgent: context.userAgent }
  let result: LoginResult
  try {
    result = await deps.users.authenticate(username, password, { found })
  } catch (error) {
    await attempt.release()
    throw error
  }
  if (!result.ok) {
    const lockouts = await attempt.failed()
    await audit.record({
      type: 'login.failure',
      outcome: 'failure',
      userId: result.userId,
      ...auditContext,
      detail: { reason: result.reason },
    })
    if (lockouts.length > 0) {
      await audit.record({
        type: 'login.lockout',
        outcome: 'failure',
        userId: result.userId,
        ...auditContext,
        detail: { lockouts },
      })
    }
    throw invalidGrant('invalid username or password')
  }
  const { user } = result
  if (policy.requireVerifiedEmail && !user.emailVerified) {
    // The password was right: not a failure to count, but no login either.
    await attempt.release()
    await audit.record({
      type: 'login.failure',
      outcome: 'failure',
      userId: user.id,
      ...auditContext,
      detail: { reason: 'email_not_verified' },
    })
    throw emailNotVerified()
  }
  const deviceToken = await attempt.succeeded()
  const scope = grantScope(
    scopeRequest,
    scopesForResource(userScopes(policy.roles, user, client), resource),
    policy.defaultScopes,
  )
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
