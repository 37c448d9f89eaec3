import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { claimsOf, portcullisAuth, type Verifier } from 'portcullis/verify'
import type { NoteInput, NotesStore } from './notes-store.js'

const noteInput = {
  type: 'object',
  required: ['title', 'body'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { type: 'string', maxLength: 10_000 },
  },
} as const
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const

// Another user's note and a note that does not exist get the same answer: never 403.
const noSuchNote = { error: 'not_found', error_description: 'no such note' }

/**
 * The notes API: every route needs a Portcullis access token for this audience, `notes:read`
 * to read and `notes:write` to change; a user sees and touches only notes they own (`sub`).
 * The notes routes take user tokens only (the verifier's default), so a `client_credentials`
 * token, whose `sub` is a client id, can never file a note under a client. `GET /stats` is the
 * one machine route: totals for a reporting client, which takes client tokens only.
 */
export async function buildNotesApp(
  verifier: Verifier,
  notes: NotesStore,
  options: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 64 * 1024, ...options })
  // biome-ignore lint/nursery/noMisusedPromises: awaiting register is Fastify's documented API
  await app.register(portcullisAuth, { verifier })
  const read = { preHandler: app.requireScopes('notes:read') }
  const write = { preHandler: app.requireScopes('notes:write') }
  const report = { preHandler: app.requireToken({ subject: 'client', scopes: ['notes:read'] }) }

  app.setErrorHandler((error: { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(500).send({ error: 'server_error', error_description: 'internal error' })
    }
    return reply.code(status).send({
      error: 'invalid_request',
      error_description: error.validation
        ? 'the request body is invalid'
        : 'the request is invalid',
    })
  })
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'no such route' }),
  )

  app.post<{ Body: NoteInput }>(
    '/notes',
    { ...write, schema: { body: noteInput } },
    (request, reply) => {
      const note = notes.create(claimsOf(request).sub, request.body)
      return reply.code(201).header('location', `/notes/${note.id}`).send(note)
    },
  )

  app.get('/notes', read, async (request) => ({ notes: notes.list(claimsOf(request).sub) }))

  app.get<{ Params: { id: string } }>(
    '/notes/:id',
    { ...read, schema: { params: idParam } },
    async (request, reply) =>
      notes.get(claimsOf(request).sub, request.params.id) ?? reply.code(404).send(noSuchNote),
  )

  app.put<{ Params: { id: string }; Body: NoteInput }>(
    '/notes/:id',
    { ...write, schema: { params: idParam, body: noteInput } },
    async (request, reply) =>
      notes.update(claimsOf(request).sub, request.params.id, request.body) ??
      reply.code(404).send(noSuchNote),
  )

  app.delete<{ Params: { id: string } }>(
    '/notes/:id',
    { ...write, schema: { params: idParam } },
    async (request, reply) =>
      notes.delete(claimsOf(request).sub, request.params.id)
        ? reply.code(204).send()
        : reply.code(404).send(noSuchNote),
  )

  app.get('/stats', report, async () => notes.stats())

  return app
}
