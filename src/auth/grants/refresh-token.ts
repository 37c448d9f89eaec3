import { invalidGrant, invalidRequest } from '../../errors.js'
import { clientKey } from '../client-key.js'
import { narrowScope, userScopes } from '../scopes.js'
import { type Grant, present, userTokenResponse } from './grant.js'

/**
 * The refresh_token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): rate limited per
 * client IP; the scope may narrow on request, never widen, and also narrows to what the user's
 * roles grant now.
 */
export const refreshTokenGrant: Grant = async (deps, form, context) => {
  await deps.rateLimiter.hit('refresh', clientKey(context.ip), deps.perMinute)
  const token = present(form.refresh_token)
  if (token === undefined) throw invalidRequest('"refresh_token" is required')
  const { client } = context
  const rotation = await deps.sessions.refresh(token, client.id, present(form.scope), {
    ip: context.ip,
    userAgent: context.userAgent,
  })
  const user = await deps.users.findById(rotation.session.userId)
  if (!user || user.disabled) throw invalidGrant('the refresh token is invalid, expired or revoked')
  const scope = narrowScope(rotation.scope, userScopes(deps.policy.roles, user, client))
  return userTokenResponse(
    deps,
    user.id,
    client.id,
    rotation.session.id,
    scope,
    rotation.refreshToken,
  )
}
