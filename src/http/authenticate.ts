import type { FastifyRequest } from 'fastify'
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js'
import { type RoleTable, scopesOfRoles } from '../auth/roles.js'
import { missingScopes, openidScope } from '../auth/scopes.js'
import type { SessionService } from '../auth/sessions.js'
import { ApiError } from '../errors.js'
import type { SessionRecord, UserRecord } from '../store/store.js'
import { bearerChallenge, extractBearerToken } from './bearer.js'
import type { StepUpCheck } from './step-up.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scopes a protected route needs, all of them; shown in the OpenAPI document. */
    scopes?: readonly string[]
    /**
     * A sensitive route (RFC 9470 step-up): a user who has a second factor needs a recent
     * multi-factor sign-in, else 401 insufficient_user_authentication.
     */
    stepUp?: boolean
  }
  interface FastifyRequest {
    /** Set by `authenticate` on protected routes. */
    auth: { user: UserRecord; claims: AccessClaims; session: SessionRecord } | null
  }
}

export interface AuthenticateDeps {
  tokens: AccessTokens
  sessions: SessionService
  realm: string
  /** What each role grants: a scope the user's roles no longer grant is refused at once. */
  roles: RoleTable
  /** RFC 9470 step-up of sensitive routes (`config.stepUp`); none: never asked. */
  stepUp?: StepUpCheck
}

/**
 * preHandler hook factory for protected routes: a valid access token of an existing, enabled
 * user whose session is live, or 401 invalid_token with the RFC 6750 challenge; then every scope
 * the route declares in `config.scopes`, or 403 insufficient_scope naming them (RFC 6750 §3.1).
 * User and session are looked up on every request (through the bounded cache on SQLite), so
 * logout, revocation, disabling or deleting a user take effect at once even for cached tokens.
 * Sensitive routes then need a recent multi-factor sign-in (`deps.stepUp`, RFC 9470).
 */
export function authenticate(deps: AuthenticateDeps) {
  const reject = (error: ApiError) =>
    new ApiError(error.code, error.description, {
      'www-authenticate': bearerChallenge(deps.realm, error.code, error.description),
    })
  return async function requireAccessToken(request: FastifyRequest) {
    const token = extractBearerToken(request.raw, deps.realm)
    let claims: AccessClaims
    try {
      // A cached token is checked synchronously; only a first sighting awaits the signature.
      claims = deps.tokens.fromCache(token) ?? (await deps.tokens.verifyUncached(token))
    } catch (error) {
      throw error instanceof ApiError ? reject(error) : error
    }
    // A client_credentials token has no session: it is for other resource servers.
    if (claims.sid === undefined) {
      throw reject(new ApiError('invalid_token', "this endpoint needs a user's access token"))
    }
    const found = await deps.sessions.findWithUser(claims.sid)
    if (!found || !deps.sessions.isLive(found.session)) {
      throw reject(new ApiError('invalid_token', 'the session of this token has ended'))
    }
    const { user, session } = found
    if (user.id !== claims.sub || user.disabled) {
      throw reject(new ApiError('invalid_token', 'the user of this token is disabled'))
    }
    // Read once: Fastify builds this object anew on every read.
    const route = request.routeOptions
    const required = route.config.scopes ?? []
    const missing = missingScopes(claims.scope, required)
    // The token's scopes were granted at login; a role taken away since then (even by another
    // instance, even mid-login) takes them away now.
    const granted = required.length > 0 ? scopesOfRoles(deps.roles, user.roles) : null
    // `openid` is a protocol switch no role grants (OpenID Connect Core §3.1.2.1): not re-checked.
    const revoked = granted
      ? required.filter((s) => s !== openidScope && !missing.includes(s) && !granted.has(s))
      : []
    if (missing.length > 0 || revoked.length > 0) {
      const description =
        missing.length > 0
          ? `the access token lacks the scope ${missing.join(' ')}`
          : `the user's roles no longer grant the scope ${revoked.join(' ')}`
      throw new ApiError('insufficient_scope', description, {
        'www-authenticate': bearerChallenge(
          deps.realm,
          'insufficient_scope',
          description,
          required.join(' '),
        ),
      })
    }
    // After the scopes: a token that may not call the route at all is told that first.
    await deps.stepUp?.(request, user, session, route)
    request.auth = { user, claims, session }
  }
}
