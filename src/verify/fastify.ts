import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { verifyRequest } from './bearer.js'
import { requireScopes, type VerifiedClaims } from './claims.js'
import { VerifyError } from './errors.js'
import type { Verifier } from './verifier.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A preHandler that verifies the request's bearer token and requires every one of `scopes`
     * (none: any valid token). On success `request.auth` holds the claims (read it typed with
     * `claimsOf(request)`); otherwise it answers 401 / 403 / 400 (503 when the keys cannot be
     * fetched) with the RFC 6750 `WWW-Authenticate` header and `{ error, error_description }`.
     * Added by the `portcullisAuth` plugin.
     */
    requireScopes(...scopes: string[]): preHandlerAsyncHookHandler
  }
}

/** Options of {@link portcullisAuth}. */
export interface PortcullisAuthOptions {
  /** The verifier from `createVerifier`. */
  verifier: Verifier
  /** The realm of the challenges; default the verifier's realm. */
  realm?: string
}

/** Sends a {@link VerifyError} as the RFC 6750 response. */
export function sendVerifyError(reply: FastifyReply, error: VerifyError): FastifyReply {
  if (error.status === 503) reply.header('retry-after', '1')
  else reply.header('www-authenticate', error.wwwAuthenticate)
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.body)
}

/**
 * The claims `requireScopes` stored on `request.auth`. Throws a plain Error (a programming
 * mistake: a 500) on a route without the `requireScopes` preHandler.
 *
 * The claims are read through this helper rather than a global `FastifyRequest` augmentation so
 * that the library's types never collide with an application's own `request.auth`.
 */
export function claimsOf(request: FastifyRequest): VerifiedClaims {
  const claims = (request as unknown as { auth?: VerifiedClaims | null }).auth
  if (!claims) throw new Error('no verified claims: add the requireScopes preHandler to this route')
  return claims
}

async function plugin(app: FastifyInstance, options: PortcullisAuthOptions): Promise<void> {
  const { verifier } = options
  const realm = options.realm ?? verifier.realm
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null)
  app.decorate('requireScopes', (...scopes: string[]): preHandlerAsyncHookHandler => {
    return async function requireAccessToken(request, reply) {
      try {
        const claims = requireScopes(await verifyRequest(verifier, request), ...scopes)
        ;(request as unknown as { auth: VerifiedClaims }).auth = claims
      } catch (error) {
        if (!(error instanceof VerifyError)) throw error
        return sendVerifyError(reply, error.withRealm(realm))
      }
    }
  })
}

/**
 * Fastify plugin (wrapped with `fastify-plugin`, so it decorates the instance it is registered
 * on): adds `app.requireScopes(...scopes)` and the `request.auth` decoration.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer, audience: 'notes-api', jwksUrl })
 * await app.register(portcullisAuth, { verifier })
 * app.get('/notes', { preHandler: app.requireScopes('notes:read') }, async (request) =>
 *   notes.list(claimsOf(request).sub))
 * ```
 */
export const portcullisAuth = fp(plugin, { fastify: '5.x', name: 'portcullis-auth' })
