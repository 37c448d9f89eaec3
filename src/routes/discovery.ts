import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import { authorizationServerMetadata, openIdProviderMetadata } from './server-metadata.js'

const strings = Type.Array(Type.String())

const metadataMembers = {
  issuer: Type.String(),
  authorization_endpoint: Type.String(),
  token_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  jwks_uri: Type.String(),
  grant_types_supported: strings,
  response_types_supported: strings,
  response_modes_supported: strings,
  code_challenge_methods_supported: strings,
  authorization_response_iss_parameter_supported: Type.Boolean(),
  scopes_supported: strings,
  token_endpoint_auth_methods_supported: strings,
  revocation_endpoint_auth_methods_supported: strings,
  introspection_endpoint_auth_methods_supported: strings,
  token_endpoint_auth_signing_alg_values_supported: Type.Optional(strings),
  access_token_signing_alg_values_supported: strings,
  service_documentation: Type.String(),
}
const Metadata = Type.Object(metadataMembers)

const ProviderMetadata = Type.Object({
  ...metadataMembers,
  userinfo_endpoint: Type.String(),
  end_session_endpoint: Type.String(),
  subject_types_supported: strings,
  id_token_signing_alg_values_supported: strings,
  claims_supported: strings,
  prompt_values_supported: strings,
  claims_parameter_supported: Type.Boolean(),
  request_parameter_supported: Type.Boolean(),
  request_uri_parameter_supported: Type.Boolean(),
})

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414) and GET
 * /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §4): one builder
 * (server-metadata.ts), two documents, both from the running configuration.
 */
export function discoveryRoutes(services: Pick<Services, 'config'>): FastifyPluginAsyncTypebox {
  const { config } = services
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
            'Where the authorization, token, revocation, introspection and JWKS endpoints are, which grants, scopes and client authentication methods this server supports, and which algorithm signs its access tokens. Generated from the running configuration.',
          response: { 200: Metadata, ...errorResponses(400) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300')
        return authorizationServerMetadata(config)
      },
    )
    app.get(
      '/.well-known/openid-configuration',
      {
        schema: {
          operationId: 'getOpenIdConfiguration',
          security: [],
          tags: ['keys'],
          summary: 'OpenID Provider metadata (OpenID Connect Discovery 1.0)',
          description:
            'The RFC 8414 metadata plus the OpenID Provider members: the UserInfo and end-session (RP-initiated logout) endpoints, subject types, ID token signing algorithms, supported claims and prompt values. Generated from the running configuration.',
          response: { 200: ProviderMetadata, ...errorResponses(400) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300')
        return openIdProviderMetadata(config)
      },
    )
  }
}
