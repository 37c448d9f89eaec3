import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from 'typebox'
import { errorResponses } from '../http/schemas.js'
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

/** How long verifiers may cache the key set; new keys are published longer than this before they sign. */
export const jwksMaxAgeSeconds = 300

/** GET /.well-known/jwks.json: the public keys that verify this server's access tokens. */
export function jwksRoutes(services: Pick<Services, 'keyring'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          operationId: 'getJwks',
          security: [],
          tags: ['keys'],
          summary: 'JSON Web Key Set',
          description: `The public keys of every key that still verifies (next, active, and retired ones until their tokens have expired), RFC 7517, for services that verify access tokens themselves. \`application/jwk-set+json\`, \`Cache-Control: public, max-age=${jwksMaxAgeSeconds}\` and an \`ETag\`: a request with a matching \`If-None-Match\` gets 304. Empty in the HS256 shared-secret mode.`,
          response: {
            200: Type.Object({ keys: Type.Array(Jwk) }),
            304: Type.Null(),
            ...errorResponses(400),
          },
        },
      },
      async (request, reply) => {
        const jwks = services.keyring.publicJwks() as { keys: Static<typeof Jwk>[] }
        const etag = `"${createHash('sha256').update(JSON.stringify(jwks)).digest('base64url').slice(0, 22)}"`
        reply.header('cache-control', `public, max-age=${jwksMaxAgeSeconds}`)
        reply.header('etag', etag)
        const match = request.headers['if-none-match']
        if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
          return reply.code(304).send(undefined as never)
        }
        reply.type('application/jwk-set+json')
        return jwks
      },
    )
  }
}
