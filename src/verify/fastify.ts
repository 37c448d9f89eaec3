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
import { checkedSubject, type TokenSubject } from './subject.js'
import type { Verifier, VerifyOptions } from './verifier.js'

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
    /**
     * Like `requireScopes`, with the kind of token spelled out: `requireToken({ subject:
     * 'client', scopes: ['reports:read'] })` is a machine route, which accepts
     * `client_credentials` tokens (and, with `'client'`, only them). Without `subject`, the
     * verifier's default (`'user'`) applies. Added by the `portcullisAuth` plugin.
     */
    requireToken(options: RequireTokenOptions): preHandlerAsyncHookHandler
  }
}

/** What a route protected with `app.requireToken` needs. */
export interface RequireTokenOptions {
  /** Every one of these scopes; none: any valid token of the right kind. */
  scopes?: readonly string[]
  /** Whose tokens the route accepts; default the verifier's `subject` (`'user'`). */
  subject?: TokenSubject
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
  const requireToken = (route: RequireTokenOptions): preHandlerAsyncHookHandler => {
    const scopes = [...(route.scopes ?? [])]
    // A typo in a route's options fails at start-up, not as a 500 on every request.
    const call: VerifyOptions =
      route.subject === undefined ? {} : { subject: checkedSubject(route.subject, 'subject') }
    return async function requireAccessToken(request, reply) {
      try {
        const claims = requireScopes(await verifyRequest(verifier, request, call), ...scopes)
        ;(request as unknown as { auth: VerifiedClaims }).auth = claims
      } catch (error) {
        if (!(error instanceof VerifyError)) throw error
        return sendVerifyError(reply, error.withRealm(realm))
      }
    }
  }
  app.decorate('requireToken', requireToken)
  app.decorate('requireScopes', (...scopes: string[]) => requireToken({ scopes }))
}

/**
 * Fastify plugin (wrapped with `fastify-plugin`, so it decorates the instance it is registered
 * on): adds `app.requireScopes(...scopes)` (user tokens by default), `app.requireToken(options)`
 * (for machine routes) and the `request.auth` decoration.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer, audience: 'notes-api', jwksUrl })
 * await app.register(portcullisAuth, { verifier })
 * app.get('/notes', { preHandler: app.requireScopes('notes:read') }, async (request) =>
 *   notes.list(claimsOf(request).sub))
 * app.get('/stats', { preHandler: app.requireToken({ subject: 'client', scopes: ['notes:read'] }) },
 *   async () => notes.stats())
 * ```
 */
export const portcullisAuth = fp(plugin, { fastify: '5.x', name: 'portcullis-auth' })
