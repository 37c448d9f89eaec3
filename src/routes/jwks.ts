import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from 'typebox'
import type { Services } from '../services.js'

const Jwk = Type.Object(
  {
    kty: Type.String(),
    crv: Type.String(),
    x: Type.String(),
    y: Type.Optional(Type.String()),
    kid: Type.String(),
    alg: Type.String(),
    use: Type.String(),
  },
  { description: 'A public key; private members are never served' },
)

/** GET /.well-known/jwks.json: the public keys that verify this server's access tokens. */
export function jwksRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['keys'],
          summary: 'JSON Web Key Set',
          description:
            'The public keys of every unretired signing key (RFC 7517), for services that verify access tokens themselves. Served as `application/jwk-set+json`; cacheable for 5 minutes.',
          response: { 200: Type.Object({ keys: Type.Array(Jwk) }) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300')
        reply.type('application/jwk-set+json')
        return services.keyring.publicJwks() as { keys: Static<typeof Jwk>[] }
      },
    )
  }
}
