import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { type RevocationDeps, revokeToken } from '../auth/token-revocation.js'
import { invalidRequest } from '../errors.js'
import type { ClientAuthenticator } from '../http/client-auth.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const RevokeForm = Type.Object(
  {
    token: Type.Optional(Type.String({ description: 'A refresh token or an access token' })),
    token_type_hint: Type.Optional(
      Type.String({
        description: '`refresh_token` or `access_token`; only a hint (RFC 7009 §2.1)',
      }),
    ),
    client_id: Type.Optional(Type.String()),
    client_secret: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
)

/** POST /revoke: RFC 7009 token revocation; revoking either token of a session ends the session. */
export function revokeRoutes(
  services: RevocationDeps &
    Pick<Services, 'clients'> & {
      authenticateClient: ClientAuthenticator
      /** The per-IP limit (PORTCULLIS_REQUEST_LIMIT a minute). */
      rateLimited: (request: FastifyRequest) => Promise<void>
    },
): FastifyPluginAsyncTypebox {
  const { authenticateClient } = services
  return async (app) => {
    app.post(
      '/revoke',
      {
        bodyLimit: authBodyLimit,
        onRequest: services.rateLimited,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          operationId: 'revokeToken',
          security: [],
          tags: ['tokens'],
          summary: 'Revoke a token (RFC 7009)',
          description:
            'Form-encoded `token` (and optional `token_type_hint`). Revoking a refresh token or an access token (for Portcullis or for a configured RFC 8707 resource) ends its whole session, when the calling client is the one it was issued to. A `client_credentials` access token, revoked by the client it was issued to, is inactive at once (its `jti` is denied until it expires). Answers 200 with an empty body also for unknown, malformed, expired or already revoked tokens (RFC 7009 §2.2), so the answer reveals nothing. A missing `token` is 400 `invalid_request`.',
          consumes: ['application/x-www-form-urlencoded'],
          body: RevokeForm,
          response: {
            200: Type.Null({
              description: 'Empty body, whether or not there was anything to revoke',
            }),
            ...errorResponses(400, 401, 413, 415, 503),
          },
        },
      },
      async (request, reply) => {
        const { token } = request.body
        const client = (await authenticateClient(request, request.body)) ?? services.clients.builtin
        if (!token) throw invalidRequest('"token" is required')
        await revokeToken(services, token, client.id, request.ip)
        // RFC 7009 §2.2: 200 with nothing in the body (not even the JSON text null, which is
        // what sending null through the Null schema would produce).
        return reply.code(200).send(undefined as never)
      },
    )
  }
}
