import { invalidGrant, invalidRequest } from '../../errors.js'
import type { SessionRecord } from '../../store/store.js'
import type { TokenBody } from '../../wire/token-response.js'
import { clientKey } from '../client-key.js'
import { narrowScope, openidScope, userScopes } from '../scopes.js'
import { type Grant, type GrantDeps, present, userTokenResponse } from './grant.js'
import { refuseWeakRefresh } from './second-step.js'

/**
 * The refresh_token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): rate limited per
 * client IP; the scope may narrow on request, never widen, and also narrows to what the user's
 * roles grant now (`openid`, a protocol switch no role grants, stays while the session has it).
 * The access token's `aud` stays the session's RFC 8707 resource: a `resource` parameter must
 * name that same one (400 invalid_target otherwise), so a refresh never moves a token to
 * another API. With `openid` the response carries a new ID token (OpenID Connect Core §12.2).
 */
export const refreshTokenGrant: Grant = async (deps, form, context) => {
  await deps.rateLimiter.hit('refresh', clientKey(context.ip), deps.perMinute)
  const token = present(form.refresh_token)
  if (token === undefined) throw invalidRequest('"refresh_token" is required')
  const resource = present(form.resource)
  const { client } = context
  // RFC 8707 §2.2: `resource` must be the session's; checked before the token is spent.
  const rotation = await deps.sessions.refresh(
    token,
    client.id,
    present(form.scope),
    { ip: context.ip, userAgent: context.userAgent },
    resource,
  )
  const { session } = rotation
  const user = await deps.users.findById(session.userId)
  if (!user || user.disabled) throw invalidGrant('the refresh token is invalid, expired or revoked')
  await refuseWeakRefresh(deps, user, session.amr)
  const scope = narrowScope(rotation.scope, [
    ...userScopes(deps.policy.roles, user, client),
    openidScope,
  ])
  const body = await userTokenResponse(
    deps,
    user.id,
    client.id,
    session,
    scope,
    rotation.refreshToken,
    session.resource,
  )
  return withIdToken(deps, body, session, scope)
}

/**
 * The response with a new ID token when the scope has `openid` (OpenID Connect Core §12.2: same
 * `iss`, `sub`, `aud`, `auth_time`, no `nonce`): `auth_time`, `amr` and `sid` come from the
 * browser session the tokens were started from. Without that record (purged after it expired),
 * the response carries none, as §12.2 allows ("might not contain an id_token").
 */
async function withIdToken(
  deps: GrantDeps,
  body: TokenBody,
  session: SessionRecord,
  scope: string,
): Promise<TokenBody> {
  if (!scope.split(' ').includes(openidScope) || session.browserSessionId === null) return body
  const login = await deps.browserSessions.findById(session.browserSessionId)
  if (login === null) return body
  const idToken = await deps.idTokens.issue({
    userId: session.userId,
    clientId: session.clientId,
    nonce: null,
    authTime: login.authTime,
    amr: login.amr,
    sid: login.id,
    accessToken: body.access_token,
  })
  return { ...body, id_token: idToken }
}
