import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ConsentListing } from '../auth/consents.js'
import { actorOf } from '../http/actor.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const ConsentView = Type.Object({
  client_id: Type.String(),
  client_name: Type.Union([Type.String(), Type.Null()], {
    description: "The client's registered name",
  }),
  scopes: Type.Array(Type.String(), { description: 'What the user allowed the client' }),
  created_at: Type.String(),
  updated_at: Type.String({ description: 'When scopes were last added' }),
})

const toView = ({ consent, clientName }: ConsentListing) => ({
  client_id: consent.clientId,
  client_name: clientName,
  scopes: consent.scopes,
  created_at: consent.createdAt,
  updated_at: consent.updatedAt,
})

const clientId = Type.String({ maxLength: 64 })
const sessionsScope = { scopes: ['sessions'] }
const admin = { scopes: ['admin'] }
const noContent = { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) }
const revokes =
  "The client's sessions of the user end at once (their refresh tokens stop working, their access tokens are refused here and inactive at /introspect); its next authorization request asks for consent again"

/**
 * /users/me/consents and /admin/users/{id}/consents: the clients a user allowed (OpenID Connect
 * Core §3.1.2.4), and revoking them. Registered behind `authenticate`.
 */
export function consentRoutes(services: Pick<Services, 'consents'>): FastifyPluginAsyncTypebox {
  const { consents } = services
  return async (app) => {
    app.get(
      '/users/me/consents',
      {
        config: sessionsScope,
        schema: {
          operationId: 'listCurrentUserConsents',
          tags: ['sessions'],
          summary: 'My consents',
          description:
            'The third-party clients the calling user allowed, and the scopes allowed each, in client_id order. Needs the `sessions` scope.',
          response: { 200: Type.Array(ConsentView), ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (request) => (await consents.list(authOf(request).user.id)).map(toView),
    )

    app.delete(
      '/users/me/consents/:client_id',
      {
        config: sessionsScope,
        schema: {
          operationId: 'revokeCurrentUserConsent',
          tags: ['sessions'],
          summary: 'Revoke my consent to a client',
          description: `Forgets what the calling user allowed the client. ${revokes}. 404 when there is no such consent. Needs the \`sessions\` scope. 204.`,
          params: Type.Object({ client_id: clientId }),
          response: noContent,
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        await consents.revoke(user.id, request.params.client_id, actorOf(request, user.id))
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/admin/users/:id/consents',
      {
        config: admin,
        schema: {
          operationId: 'listUserConsents',
          tags: ['admin'],
          summary: "List a user's consents",
          description:
            'The clients the user allowed, with their scopes, in client_id order; 404 when there is no such user. Needs `admin`.',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Array(ConsentView), ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => (await consents.listForAdmin(request.params.id)).map(toView),
    )

    app.delete(
      '/admin/users/:id/consents/:client_id',
      {
        config: admin,
        schema: {
          operationId: 'revokeUserConsent',
          tags: ['admin'],
          summary: "Revoke a user's consent to a client",
          description: `Forgets what the user allowed the client. ${revokes}. 404 when there is no such user or consent. Needs \`admin\`. 204.`,
          params: Type.Object({ id: Type.String({ maxLength: 64 }), client_id: clientId }),
          response: noContent,
        },
      },
      async (request, reply) => {
        const actor = actorOf(request, authOf(request).user.id)
        await consents.revokeForAdmin(request.params.id, request.params.client_id, actor)
        return reply.code(204).send(null)
      },
    )
  }
}
