import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const Metadata = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  jwks_uri: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  token_endpoint_auth_signing_alg_values_supported: Type.Optional(Type.Array(Type.String())),
  access_token_signing_alg_values_supported: Type.Array(Type.String()),
  service_documentation: Type.String(),
})

const clientAuthMethods = ['none', 'client_secret_basic', 'client_secret_post']

/** GET /.well-known/oauth-authorization-server: RFC 8414 metadata, from the running configuration. */
export function discoveryRoutes(services: Pick<Services, 'config'>): FastifyPluginAsyncTypebox {
  const { config } = services
  const url = (path: string) => `${config.tokens.issuer}${path}`
  return async (app) => {
    app.get(
      '/.well-known/oauth-authorization-server',
      {
        schema: {
          operationId: 'getServerMetadata',
          security: [],
          tags: ['keys'],
          summary: 'Authorization server metadata (RFC 8414)',
          description:
            'Where the token, revocation, introspection and JWKS endpoints are, which grants, scopes and client authentication methods this server supports, and which algorithm signs its access tokens. Generated from the running configuration.',
          response: { 200: Metadata, ...errorResponses(400) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300')
        return {
          issuer: config.tokens.issuer,
          token_endpoint: url('/token'),
          revocation_endpoint: url('/revoke'),
          introspection_endpoint: url('/introspect'),
          jwks_uri: url('/.well-known/jwks.json'),
          grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
          // RFC 8414 §2 makes this REQUIRED; there is no authorization endpoint, so no response type.
          response_types_supported: [],
          scopes_supported: config.scopes.offered,
          // "none": the built-in first-party client and registered public clients.
          token_endpoint_auth_methods_supported: clientAuthMethods,
          revocation_endpoint_auth_methods_supported: clientAuthMethods,
          // Only registered clients allowed to introspect, always with their secret.
          introspection_endpoint_auth_methods_supported: [
            'client_secret_basic',
            'client_secret_post',
          ],
          access_token_signing_alg_values_supported: [config.keys.alg],
          service_documentation: url('/docs'),
        }
      },
    )
  }
}
