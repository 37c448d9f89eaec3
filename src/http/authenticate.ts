import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js'
import { type RoleTable, scopesOfRoles } from '../auth/roles.js'
import { missingScopes, openidScope } from '../auth/scopes.js'
import type { SessionService } from '../auth/sessions.js'
import { ApiError } from '../errors.js'
import type { SessionRecord, UserRecord } from '../store/store.js'
import { bearerChallenge, extractBearerToken } from './bearer.js'
import type { StepUpCheck, StepUpRoute } from './step-up.js'

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
    auth: Authenticated | null
  }
}

/** Who a protected request acts for: set on `request.auth` by `authenticate`. */
export interface Authenticated {
  user: UserRecord
  claims: AccessClaims
  session: SessionRecord
}

type SessionWithUser = { session: SessionRecord; user: UserRecord }

export interface AuthenticateDeps {
  tokens: AccessTokens
  sessions: SessionService
  realm: string
  /** What each role grants: a scope the user's roles no longer grant is refused at once. */
  roles: RoleTable
  /** RFC 9470 step-up, built per route (`config.stepUp`, admin routes); none: never asked. */
  stepUp?: StepUpCheck
}

/**
 * The preHandler hook of one protected route, built when the route is registered: a valid access
 * token of an existing, enabled user whose session is live, or 401 invalid_token with the RFC
 * 6750 challenge; then every scope the route declares in `config.scopes`, or 403
 * insufficient_scope naming them (RFC 6750 §3.1). User and session are looked up on every
 * request (through the bounded status cache where there is one), so logout, revocation,
 * disabling or deleting a user take effect at once even for cached tokens. A sensitive route
 * then needs a recent multi-factor sign-in (`deps.stepUp`, RFC 9470).
 *
 * When the token and the session are both in memory, on a route without step-up, the whole
 * check runs synchronously (no promise, no microtask: this is every request's cost); otherwise
 * the same checks run with the lookups awaited. Both paths end in `admit`, so they cannot
 * disagree.
 */
export function authenticate(deps: AuthenticateDeps, route: StepUpRoute) {
  // The route's options are read here, once, not on every request.
  const required: readonly string[] = [...(route.config?.scopes ?? [])]
  const stepUp = deps.stepUp?.(route)
  const reject = (error: ApiError) =>
    new ApiError(error.code, error.description, {
      'www-authenticate': bearerChallenge(deps.realm, error.code, error.description),
    })
  const refusal = (error: unknown) => (error instanceof ApiError ? reject(error) : error)
  // Whatever was thrown reaches `done` as an error: a bare `undefined` would let the request in.
  const failure = (error: unknown) =>
    error instanceof Error ? error : new Error('the access token check failed', { cause: error })

  /** The token's claims if it was verified before (undefined on a first sighting); throws 401. */
  function cachedClaims(token: string): AccessClaims | undefined {
    try {
      return deps.tokens.fromCache(token)
    } catch (error) {
      throw refusal(error)
    }
  }

  /** The token's session id; a client_credentials token has none: it is for other servers. */
  function sessionOf(claims: AccessClaims): string {
    if (claims.sid !== undefined) return claims.sid
    throw reject(new ApiError('invalid_token', "this endpoint needs a user's access token"))
  }

  /** Who the request acts for, once token and session are known; throws 401 or 403. */
  function admit(claims: AccessClaims, found: SessionWithUser | null): Authenticated {
    if (!found || !deps.sessions.isLive(found.session)) {
      throw reject(new ApiError('invalid_token', 'the session of this token has ended'))
    }
    const { user, session } = found
    if (user.id !== claims.sub || user.disabled) {
      throw reject(new ApiError('invalid_token', 'the user of this token is disabled'))
    }
    if (required.length > 0) checkScopes(claims, user)
    return { user, claims, session }
  }

  function checkScopes(claims: AccessClaims, user: UserRecord): void {
    const missing = missingScopes(claims.scope, required)
    // The token's scopes were granted at login; a role taken away since then (even by another
    // instance, even mid-login) takes them away now.
    const granted = scopesOfRoles(deps.roles, user.roles)
    // `openid` is a protocol switch no role grants (OpenID Connect Core §3.1.2.1): not re-checked.
    const revoked = required.filter(
      (s) => s !== openidScope && !missing.includes(s) && !granted.has(s),
    )
    if (missing.length === 0 && revoked.length === 0) return
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

  /** The full check, with the lookups awaited: a first sighting, or a session not in memory. */
  async function checkAwaiting(request: FastifyRequest, token: string, known?: AccessClaims) {
    let claims: AccessClaims
    try {
      claims = known ?? (await deps.tokens.verifyUncached(token))
    } catch (error) {
      throw refusal(error)
    }
    const auth = admit(claims, await deps.sessions.findWithUser(sessionOf(claims)))
    // After the scopes: a token that may not call the route at all is told that first.
    await stepUp?.(request, auth.user, auth.session)
    request.auth = auth
  }

  return function requireAccessToken(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    let token: string
    let claims: AccessClaims | undefined
    let admitted = false
    try {
      token = extractBearerToken(request.raw, deps.realm)
      claims = cachedClaims(token)
      if (claims !== undefined && stepUp === undefined) {
        const found = deps.sessions.cachedWithUser(sessionOf(claims))
        if (found !== undefined) {
          request.auth = admit(claims, found)
          admitted = true
        }
      }
    } catch (error) {
      done(failure(error))
      return
    }
    // `done` is called outside the try: an error raised after it is not the check's.
    if (admitted) done()
    else
      checkAwaiting(request, token, claims).then(
        () => done(),
        (error) => done(failure(error)),
      )
  }
}
