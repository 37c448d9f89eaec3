import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toPublicUser } from '../auth/users.js'
import { authenticate } from '../http/authenticate.js'
import { errorResponses, PublicUserSchema } from '../http/schemas.js'
import type { Services } from '../services.js'

/** GET /users/me: the user the bearer token belongs to. */
export function userRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.decorateRequest('auth', null)
    app.addHook(
      'preHandler',
      authenticate({
        tokens: services.tokens,
        users: services.users,
        realm: services.config.realm,
      }),
    )
    app.get(
      '/users/me',
      {
        schema: {
          tags: ['users'],
          summary: 'The current user',
          description:
            'Requires `Authorization: Bearer <access token>`. No credentials: 401 with `WWW-Authenticate: Bearer realm="…"`. A bad, expired or revoked token, or the token of a deleted or disabled user: 401 `invalid_token`. A malformed or repeated Authorization header: 400 `invalid_request`.',
          security: [{ OAuth2PasswordBearer: [] }],
          response: { 200: PublicUserSchema, ...errorResponses(400, 401, 503) },
        },
      },
      async (request) => toPublicUser((request.auth as NonNullable<typeof request.auth>).user),
    )
  }
}
