import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { RoleTable } from '../auth/roles.js'
import { currentScope, openidScope } from '../auth/scopes.js'
import { userInfoClaims } from '../auth/userinfo.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'

const UserInfo = Type.Object(
  {
    sub: Type.String({ description: "The user's id, as `sub` in the ID token" }),
    preferred_username: Type.Optional(Type.String({ description: 'With `profile`' })),
    name: Type.Optional(Type.String({ description: 'With `profile`, when the user has one' })),
    email: Type.Optional(Type.String({ description: 'With `email`, when the user has one' })),
    email_verified: Type.Optional(Type.Boolean({ description: 'With `email`, beside `email`' })),
  },
  { additionalProperties: false },
)

const description =
  'OpenID Connect UserInfo (Core §5.3): claims about the user of the Bearer access token, which needs the `openid` scope (403 `insufficient_scope` without it). Always `sub`; with `profile` `preferred_username` and `name`; with `email` `email` and `email_verified`. No credentials: 401 with `WWW-Authenticate`; an expired, forged or revoked token: 401 `invalid_token`. Never cached (`Cache-Control: no-store`).'

/** GET and POST /userinfo (OpenID Connect Core §5.3.1: both). Registered behind `authenticate`. */
export function userInfoRoutes(options: { roles: RoleTable }): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url: '/userinfo',
        config: { scopes: [openidScope] },
        schema: {
          operationId: method === 'GET' ? 'getUserInfo' : 'postUserInfo',
          tags: ['users'],
          summary: 'OpenID Connect UserInfo',
          description,
          response: { 200: UserInfo, ...errorResponses(400, 401, 403, 503) },
        },
        handler: async (request, reply) => {
          const { user, claims } = authOf(request)
          // Core §5.3.2 / RFC 6750 §5.3: personal data, never stored by a cache.
          reply.header('cache-control', 'no-store')
          // What the user's roles still grant: a role taken away takes its claims away too.
          return userInfoClaims(user, currentScope(claims.scope, options.roles, user))
        },
      })
    }
  }
}
