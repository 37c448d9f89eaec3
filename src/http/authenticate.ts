import type { FastifyRequest } from 'fastify'
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js'
import type { SessionService } from '../auth/sessions.js'
import { ApiError } from '../errors.js'
import type { SessionRecord, UserRecord } from '../store/store.js'
import { bearerChallenge, extractBearerToken } from './bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on protected routes. */
    auth: { user: UserRecord; claims: AccessClaims; session: SessionRecord } | null
  }
}

export interface AuthenticateDeps {
  tokens: AccessTokens
  sessions: SessionService
  realm: string
}

/**
 * preHandler hook factory for protected routes: a valid access token of an existing, enabled
 * user whose session is live, or 401 invalid_token with the RFC 6750 challenge. User and
 * session are looked up on every request (through the bounded cache on SQLite), so logout,
 * revocation, disabling or deleting a user take effect at once even for cached tokens.
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
    const found = await deps.sessions.findWithUser(claims.sid)
    if (!found || !deps.sessions.isLive(found.session)) {
      throw reject(new ApiError('invalid_token', 'the session of this token has ended'))
    }
    const { user, session } = found
    if (user.id !== claims.sub || user.disabled) {
      throw reject(new ApiError('invalid_token', 'the user of this token is disabled'))
    }
    request.auth = { user, claims, session }
  }
}
