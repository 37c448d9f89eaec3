import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { MfaContext } from '../auth/mfa/mfa-types.js'
import { userAgentOf } from './actor.js'
import { type AuthenticateDeps, authenticate } from './authenticate.js'

/**
 * An encapsulated context in which every route requires a valid Bearer access token of a live
 * session and the scopes it declares in `config.scopes` (see `authenticate`); `request.auth`
 * holds the user, claims and session. The scopes are also written into the route's OpenAPI
 * `security`, so the document and the check cannot disagree.
 */
export function protectedRoutes(deps: AuthenticateDeps, ...routes: FastifyPluginAsyncTypebox[]) {
  const plugin: FastifyPluginAsyncTypebox = async (app) => {
    app.decorateRequest('auth', null)
    app.addHook('onRoute', (route) => {
      const scopes = [...(route.config?.scopes ?? [])]
      route.schema = { ...route.schema, security: [{ OAuth2PasswordBearer: scopes }] }
      // First of the route's own preHandlers, so after the app's (the NUL guard); built per
      // route so its scopes are read once, not on every request. A preHandler a plugin adds
      // with addHook inside this context would run before it: none may (tested: every
      // protected operation refuses a request without a token).
      const own = route.preHandler === undefined ? [] : [route.preHandler].flat()
      route.preHandler = [authenticate(deps, route), ...own]
    })
    for (const route of routes) await app.register(route)
  }
  return plugin
}

/** Narrows `request.auth` inside a protected route, where the hook has always set it. */
export function authOf<T extends { auth: unknown }>(request: T): NonNullable<T['auth']> {
  if (!request.auth) throw new Error('route is not behind authenticate')
  return request.auth as NonNullable<T['auth']>
}

/** Who changes their second factors, for the audit log; the session is kept when a factor is added. */
export const mfaContextOf = (request: FastifyRequest): MfaContext => {
  const { claims, session } = authOf(request)
  return {
    clientId: claims.client_id,
    ip: request.ip,
    userAgent: userAgentOf(request),
    sessionId: session.id,
  }
}
