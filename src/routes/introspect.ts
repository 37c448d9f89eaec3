import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { type IntrospectionDeps, introspect } from '../auth/introspection.js'
import { ApiError, invalidRequest } from '../errors.js'
import { type ClientAuthenticator, clientFailed } from '../http/client-auth.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'

const IntrospectForm = Type.Object(
  {
    token: Type.Optional(Type.String({ description: 'An access token or a refresh token' })),
    token_type_hint: Type.Optional(
      Type.String({ description: '`access_token` or `refresh_token`; only a hint' }),
    ),
    client_id: Type.Optional(Type.String()),
    client_secret: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
)

const opt = (schema: ReturnType<typeof Type.String>) => Type.Optional(schema)
const IntrospectionBody = Type.Object(
  {
    active: Type.Boolean(),
    scope: opt(Type.String()),
    client_id: opt(Type.String()),
    token_type: opt(Type.String({ description: '`Bearer` (access token) or `refresh_token`' })),
    sub: opt(Type.String()),
    username: opt(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    aud: opt(Type.String()),
    iss: opt(Type.String()),
    jti: opt(Type.String()),
    sid: opt(Type.String()),
  },
  { additionalProperties: false },
)

/** POST /introspect: RFC 7662 token introspection for clients allowed to introspect. */
export function introspectRoutes(
  services: IntrospectionDeps & {
    authenticateClient: ClientAuthenticator
    /** The per-IP limit (PORTCULLIS_REQUEST_LIMIT a minute). */
    rateLimited: (request: FastifyRequest) => Promise<void>
  },
): FastifyPluginAsyncTypebox {
  const { authenticateClient } = services
  return async (app) => {
    app.post(
      '/introspect',
      {
        bodyLimit: authBodyLimit,
        onRequest: [noCache, services.rateLimited],
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          operationId: 'introspectToken',
          security: [],
          tags: ['tokens'],
          summary: 'Introspect a token (RFC 7662)',
          description:
            'For resource servers that prefer asking to verifying. The caller authenticates as a registered client with the `introspect` permission (HTTP Basic, or `client_id` + `client_secret`): otherwise 401 `invalid_client` with `WWW-Authenticate: Basic`, or 403 `access_denied` for a client without the permission. Form-encoded `token` and optional `token_type_hint`. An active access or refresh token returns its claims (`active`, `scope`, `client_id`, `username`, `token_type`, `sub`, `exp`, `iat`, …); the token of a user shows only the scopes its roles grant now. Anything else (unknown, malformed, expired, revoked, of a disabled user or a deleted client, the token of a user none of whose scopes its roles still grant, a revoked `client_credentials` token) returns exactly `{"active": false}`. **Audiences (RFC 8707):** a client registered with a `resource` is told only about access tokens for that resource (their `aud`); a client without one only about tokens for Portcullis itself and about refresh tokens; any other token is `{"active": false}` to it. Rate limited per client IP.',
          consumes: ['application/x-www-form-urlencoded'],
          body: IntrospectForm,
          response: {
            200: IntrospectionBody,
            ...errorResponses(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
      async (request) => {
        const client = await authenticateClient(request, request.body)
        if (!client) throw clientFailed('client authentication required')
        if (!client.introspect) {
          throw new ApiError('access_denied', 'this client may not introspect tokens')
        }
        const { token, token_type_hint: hint } = request.body
        if (!token) throw invalidRequest('"token" is required')
        return introspect(services, token, hint, client)
      },
    )
  }
}
