import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError } from '../errors.js'
import { actorOf } from '../http/actor.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const sessionsScope = { scopes: ['sessions'] }

const SessionView = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.String({ description: 'The last refresh (or the login)' }),
  ip: Type.Union([Type.String(), Type.Null()], { description: 'Client IP at login' }),
  user_agent: Type.Union([Type.String(), Type.Null()], { description: 'User agent at login' }),
  current: Type.Boolean({ description: 'True for the session of the calling token' }),
})

/** Logout and session management for the signed-in user. Registered behind `authenticate`. */
export function sessionRoutes(
  services: Pick<Services, 'sessions' | 'audit'>,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/logout',
      {
        schema: {
          operationId: 'logout',
          tags: ['sessions'],
          summary: 'Log out',
          description:
            'Ends the session of the calling access token: its refresh token and every access token of the session stop working at once. Needs no particular scope. 204.',
          response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
        },
      },
      async (request, reply) => {
        const { user, session } = authOf(request)
        await services.sessions.revoke(session.id)
        await services.audit.record({
          type: 'logout',
          userId: user.id,
          actor: actorOf(request, user.id),
          detail: { session_id: session.id },
        })
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/logout/all',
      {
        config: sessionsScope,
        schema: {
          operationId: 'logoutEverywhere',
          tags: ['sessions'],
          summary: 'Log out everywhere',
          description:
            'Ends every session of the calling user, this one included. Needs the `sessions` scope. 204.',
          response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        await services.sessions.revokeAll(user.id)
        await services.audit.record({
          type: 'logout.all',
          userId: user.id,
          actor: actorOf(request, user.id),
        })
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/users/me/sessions',
      {
        config: sessionsScope,
        schema: {
          operationId: 'listCurrentUserSessions',
          tags: ['sessions'],
          summary: 'My sessions',
          description:
            "The calling user's live sessions, newest first. Needs the `sessions` scope.",
          response: { 200: Type.Array(SessionView), ...errorResponses(400, 401, 503) },
        },
      },
      async (request) => {
        const { user, session: current } = authOf(request)
        const live = await services.sessions.listLive(user.id)
        return live.map((s) => ({
          id: s.id,
          created_at: s.createdAt,
          last_used_at: s.lastUsedAt,
          ip: s.ip,
          user_agent: s.userAgent,
          current: s.id === current.id,
        }))
      },
    )

    app.delete(
      '/users/me/sessions/:id',
      {
        config: sessionsScope,
        schema: {
          operationId: 'endCurrentUserSession',
          tags: ['sessions'],
          summary: 'End one of my sessions',
          description:
            "Ends one of the calling user's sessions. An unknown id, an ended session and another user's session all answer 404 alike. Needs the `sessions` scope. 204.",
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        const target = await services.sessions.findById(request.params.id)
        if (!target || target.userId !== user.id || !services.sessions.isLive(target)) {
          throw new ApiError('not_found', 'no such session')
        }
        await services.sessions.revoke(target.id)
        await services.audit.record({
          type: 'session.revoke',
          userId: user.id,
          actor: actorOf(request, user.id),
          detail: { session_id: target.id },
        })
        return reply.code(204).send(null)
      },
    )
  }
}
