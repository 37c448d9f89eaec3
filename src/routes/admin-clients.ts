import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { grantTypes, maxRedirectUris } from '../auth/clients.js'
import { maxRedirectUriLength } from '../auth/redirect-uri.js'
import { ApiError } from '../errors.js'
import { actorOf } from '../http/actor.js'
import { toClientView } from '../http/admin-schemas.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'
import type { Services } from '../services.js'
import { ClientSchema } from '../wire/client.js'

const admin = { scopes: ['admin'] }
const tags = ['admin']
const ClientParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const errors = errorResponses(400, 401, 403, 404, 503)

const NewClient = Type.Object(
  {
    client_id: Type.Optional(Type.String({ maxLength: 64, description: 'Generated when omitted' })),
    name: Type.String({ maxLength: 200 }),
    confidential: Type.Boolean({
      description: 'Confidential clients get a secret (returned once); public ones have none',
    }),
    grant_types: Type.Array(Type.String({ description: grantTypes.join(' | ') }), {
      maxItems: grantTypes.length,
    }),
    scopes: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 }),
    introspect: Type.Optional(Type.Boolean({ description: 'May call POST /introspect' })),
    redirect_uris: Type.Optional(
      Type.Array(Type.String({ maxLength: maxRedirectUriLength }), {
        maxItems: maxRedirectUris,
        description:
          'Where GET /authorize may send the user back (exact match): https, or http only for 127.0.0.1, [::1] or localhost; no fragment, userinfo or wildcard. authorization_code needs at least one',
      }),
    ),
    post_logout_redirect_uris: Type.Optional(
      Type.Array(Type.String({ maxLength: maxRedirectUriLength }), {
        maxItems: maxRedirectUris,
        description: 'Where RP-initiated logout may send the user back; the same rules',
      }),
    ),
    first_party: Type.Optional(
      Type.Boolean({ description: 'Skips the consent page: the operator vouches for the client' }),
    ),
    resource: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
        description:
          'The RFC 8707 resource it serves, one of PORTCULLIS_RESOURCES: introspection then tells it only about tokens for it',
      }),
    ),
  },
  { additionalProperties: false },
)

const WithSecret = Type.Object({
  ...ClientSchema.properties,
  client_secret: Type.Union([Type.String(), Type.Null()], {
    description: 'Shown only in this response (null for a public client); stored as a hash',
  }),
})

/** /admin/clients…: register, list, read, rotate the secret of, and delete OAuth clients. */
export function adminClientRoutes(
  services: Pick<Services, 'clients' | 'store'>,
): FastifyPluginAsyncTypebox {
  const { clients } = services
  return async (app) => {
    app.post(
      '/admin/clients',
      {
        config: admin,
        onRequest: noCache,
        schema: {
          operationId: 'createClient',
          tags,
          summary: 'Register a client',
          description:
            'JSON body. Returns the client with its `client_secret`, shown only here: it is stored as a SHA-256 hash and cannot be read back. `client_credentials` needs a confidential client (RFC 6749 §4.4); `authorization_code` needs at least one `redirect_uris` entry and suits public clients too (PKCE). A taken `client_id` is 409 `client_taken`. Needs `admin`.',
          body: NewClient,
          response: { 201: WithSecret, ...errorResponses(400, 401, 403, 409, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body
        const { client, secret } = await clients.create(
          {
            id: body.client_id,
            name: body.name,
            confidential: body.confidential,
            grantTypes: body.grant_types,
            scopes: body.scopes,
            introspect: body.introspect,
            redirectUris: body.redirect_uris,
            postLogoutRedirectUris: body.post_logout_redirect_uris,
            firstParty: body.first_party,
            resource: body.resource,
          },
          actorOf(request, authOf(request).user.id),
        )
        return reply.code(201).send({ ...toClientView(client), client_secret: secret })
      },
    )

    app.get(
      '/admin/clients',
      {
        config: admin,
        schema: {
          operationId: 'listClients',
          tags,
          summary: 'List clients',
          description:
            'Every registered client in client_id order (without secrets). The built-in first-party client is not listed. Needs `admin`.',
          response: { 200: Type.Array(ClientSchema), ...errors },
        },
      },
      async () => (await clients.list()).map(toClientView),
    )

    app.get(
      '/admin/clients/:id',
      {
        config: admin,
        schema: {
          operationId: 'getClient',
          tags,
          summary: 'Read a client',
          description: '404 when there is no such registered client. Needs `admin`.',
          params: ClientParams,
          response: { 200: ClientSchema, ...errors },
        },
      },
      async (request) => {
        const client = await services.store.clients.findById(request.params.id)
        if (!client) throw new ApiError('not_found', `no client ${request.params.id}`)
        return toClientView(client)
      },
    )

    app.post(
      '/admin/clients/:id/secret',
      {
        config: admin,
        onRequest: noCache,
        schema: {
          operationId: 'rotateClientSecret',
          tags,
          summary: "Rotate a client's secret",
          description:
            'Issues a new secret, returned only here; the old one stops working at once. A public client has none (400). Needs `admin`.',
          params: ClientParams,
          response: { 200: Type.Object({ client_secret: Type.String() }), ...errors },
        },
      },
      async (request) => ({
        client_secret: await clients.rotateSecret(
          request.params.id,
          actorOf(request, authOf(request).user.id),
        ),
      }),
    )

    app.delete(
      '/admin/clients/:id',
      {
        config: admin,
        schema: {
          operationId: 'deleteClient',
          tags,
          summary: 'Delete a client',
          description:
            "Deletes the client with every user's consent to it and ends every session started through it; its client_credentials tokens become inactive at /introspect. 204. Needs `admin`.",
          params: ClientParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await clients.delete(request.params.id, actorOf(request, authOf(request).user.id))
        return reply.code(204).send(null)
      },
    )
  }
}
