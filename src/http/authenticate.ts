import type { FastifyRequest } from 'fastify'
import type { AccessClaims, AccessTokens } from '../auth/access-tokens.js'
import type { UserService } from '../auth/users.js'
import { ApiError } from '../errors.js'
import type { UserRecord } from '../store/store.js'
import { bearerChallenge, extractBearerToken } from './bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on protected routes. */
    auth: { user: UserRecord; claims: AccessClaims } | null
  }
}

export interface AuthenticateDeps {
  tokens: AccessTokens
  users: UserService
  realm: string
}

/**
 * preHandler hook factory for protected routes: a valid access token of an existing, enabled
 * user, or 401 invalid_token with the RFC 6750 challenge. The user is looked up on every
 * request, so disabling or deleting a user takes effect at once even for cached tokens.
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
      claims = await deps.tokens.verify(token)
    } catch (error) {
      throw error instanceof ApiError ? reject(error) : error
    }
    const user = await deps.users.findById(claims.sub)
    if (!user || user.disabled) {
      throw reject(
        new ApiError('invalid_token', 'the user of this token no longer exists or is disabled'),
      )
    }
    request.auth = { user, claims }
  }
}
