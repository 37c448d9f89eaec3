import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../http/actor.js'
import {
  cursorParam,
  limitParam,
  nextCursorSchema,
  toAdminSession,
  toAdminUser,
} from '../http/admin-schemas.js'
import { decodeCursor, pageLimit, paginate } from '../http/cursor.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import { AdminSessionSchema } from '../wire/admin-session.js'
import { AdminUserDetailSchema, AdminUserSchema } from '../wire/admin-user.js'

const admin = { scopes: ['admin'] }
const UserParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const errors = errorResponses(400, 401, 403, 404, 503)
const noContent = { 204: Type.Null(), ...errors }
const tags = ['admin']

/** /admin/users…: list, read, disable, enable, set roles, verify the email, delete; sessions. */
export function adminUserRoutes(
  services: Pick<Services, 'userAdmin' | 'store' | 'mfa'> & {
    /** Null while the email flows are off: no reset link can be sent. */
    recovery: Services['recovery'] | null
  },
): FastifyPluginAsyncTypebox {
  const { userAdmin, recovery, mfa } = services
  return async (app) => {
    if (recovery) {
      app.post(
        '/admin/users/:id/password/reset',
        {
          config: admin,
          schema: {
            operationId: 'sendPasswordResetLink',
            tags,
            summary: 'Send a user a password reset link',
            description:
              'Sends a reset link to the user’s address (earlier links die); 202. 404 for an unknown user, 409 `no_email` when it has no address, 400 when it is disabled. Needs `admin`.',
            params: UserParams,
            response: {
              202: Type.Object({ message: Type.String() }),
              ...errorResponses(400, 401, 403, 404, 409, 503),
            },
          },
        },
        async (request, reply) => {
          const actor = actorOf(request, authOf(request).user.id)
          await recovery.sendResetLink(request.params.id, actor)
          return reply
            .code(202)
            .send({ message: 'a reset link is on its way to the user’s address' })
        },
      )
    }

    app.get(
      '/admin/users',
      {
        config: admin,
        schema: {
          operationId: 'listUsers',
          tags,
          summary: 'List users',
          description:
            'Users in username order, `limit` per page (default 50). `q` matches a substring of the username or email, ignoring case. Pass `next_cursor` as `cursor` for the next page. Needs the `admin` scope.',
          querystring: Type.Object({
            q: Type.Optional(Type.String({ maxLength: 256 })),
            cursor: cursorParam,
            limit: limitParam,
          }),
          response: {
            200: Type.Object({ users: Type.Array(AdminUserSchema), next_cursor: nextCursorSchema }),
            ...errors,
          },
        },
      },
      async (request) => {
        const limit = pageLimit(request.query.limit)
        const rows = await services.store.users.search({
          text: request.query.q,
          afterUsername: decodeCursor(request.query.cursor),
          limit: limit + 1,
        })
        const { page, next } = paginate(rows, limit, (u) => u.username)
        return { users: page.map(toAdminUser), next_cursor: next }
      },
    )

    app.get(
      '/admin/users/:id',
      {
        config: admin,
        schema: {
          operationId: 'getUser',
          tags,
          summary: 'Read a user',
          description:
            'One user with roles, status and which second factors are on (`mfa`); 404 when there is none. Needs `admin`.',
          params: UserParams,
          response: { 200: AdminUserDetailSchema, ...errors },
        },
      },
      async (request) => {
        const user = await userAdmin.get(request.params.id)
        const status = await mfa.status(user.id)
        return {
          ...toAdminUser(user),
          mfa: {
            totp: status.totp,
            passkeys: status.passkeys,
            recovery_codes_remaining: status.recoveryCodesRemaining,
          },
        }
      },
    )

    for (const action of ['disable', 'enable'] as const) {
      app.post(
        `/admin/users/:id/${action}`,
        {
          config: admin,
          schema: {
            operationId: `${action}User`,
            tags,
            summary: `${action === 'disable' ? 'Disable' : 'Enable'} a user`,
            description:
              action === 'disable'
                ? 'Refuses the user’s logins and ends every session at once: its access and refresh tokens stop working on the next request. An admin cannot disable itself (400). Needs `admin`.'
                : 'Allows the user to log in again (ended sessions stay ended). Needs `admin`.',
            params: UserParams,
            response: { 200: AdminUserSchema, ...errors },
          },
        },
        async (request) => {
          const actor = actorOf(request, authOf(request).user.id)
          const user = await userAdmin.setDisabled(request.params.id, action === 'disable', actor)
          return toAdminUser(user)
        },
      )
    }

    app.put(
      '/admin/users/:id/roles',
      {
        config: admin,
        schema: {
          operationId: 'setUserRoles',
          tags,
          summary: "Set a user's roles",
          description:
            'JSON `{roles: [...]}`, replacing the roles. Takes effect at the user’s next token (a refresh drops scopes no longer granted); taking away `admin` also ends every session of the user at once. Unknown roles or an empty list: 400. An admin cannot take away its own admin role. Needs `admin`.',
          params: UserParams,
          body: Type.Object(
            { roles: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }) },
            { additionalProperties: false },
          ),
          response: { 200: AdminUserSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request, authOf(request).user.id)
        return toAdminUser(await userAdmin.setRoles(request.params.id, request.body.roles, actor))
      },
    )

    app.post(
      '/admin/users/:id/email/verify',
      {
        config: admin,
        schema: {
          operationId: 'verifyUserEmail',
          tags,
          summary: "Mark a user's email address verified",
          description:
            'Marks the address verified as its verification link would (for a user who cannot receive it); audited. 204. A user without an address: 400 `invalid_request`; no such user: 404. Needs `admin`.',
          params: UserParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        const actor = actorOf(request, authOf(request).user.id)
        await userAdmin.markEmailVerified(request.params.id, actor)
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/admin/users/:id',
      {
        config: admin,
        schema: {
          operationId: 'deleteUser',
          tags,
          summary: 'Delete a user',
          description:
            'Deletes the user and its sessions; its tokens stop working at once. 204. Needs `admin`.',
          params: UserParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await userAdmin.delete(request.params.id, actorOf(request, authOf(request).user.id))
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/admin/users/:id/sessions',
      {
        config: admin,
        schema: {
          operationId: 'listUserSessions',
          tags,
          summary: "List a user's sessions",
          description:
            'Every stored session of the user, newest first, ended ones with `revoked_at`. Needs `admin`.',
          params: UserParams,
          response: { 200: Type.Array(AdminSessionSchema), ...errors },
        },
      },
      async (request) => (await userAdmin.sessions(request.params.id)).map(toAdminSession),
    )

    app.delete(
      '/admin/users/:id/sessions',
      {
        config: admin,
        schema: {
          operationId: 'endUserSessions',
          tags,
          summary: "End all of a user's sessions",
          description: 'Ends every session of the user at once. 204. Needs `admin`.',
          params: UserParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await userAdmin.endSessions(request.params.id, actorOf(request, authOf(request).user.id))
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/admin/users/:id/sessions/:sessionId',
      {
        config: admin,
        schema: {
          operationId: 'endUserSession',
          tags,
          summary: "End one of a user's sessions",
          description: '204; 404 when the user has no such session. Needs `admin`.',
          params: Type.Object({
            id: Type.String({ maxLength: 64 }),
            sessionId: Type.String({ maxLength: 64 }),
          }),
          response: noContent,
        },
      },
      async (request, reply) => {
        const actor = actorOf(request, authOf(request).user.id)
        await userAdmin.endSession(request.params.id, request.params.sessionId, actor)
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/admin/users/:id/mfa',
      {
        // Removing factors is a sensitive action (RFC 9470) whatever PORTCULLIS_ADMIN_REQUIRE_MFA says.
        config: { ...admin, stepUp: true },
        schema: {
          operationId: 'resetUserMfa',
          tags,
          summary: "Reset a user's second factors",
          description:
            'For a user who lost every second factor: deletes their authenticator app, passkeys and recovery codes (they sign in with the password alone until they enroll again); audited `admin.user.mfa_reset`, and the user is told by email where the email flows are on. 204; 404 for an unknown user. Needs `admin`, and an admin who has a second factor needs a recent multi-factor sign-in (401 `insufficient_user_authentication`, RFC 9470).',
          params: UserParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await mfa.reset(request.params.id, actorOf(request, authOf(request).user.id))
        return reply.code(204).send(null)
      },
    )
  }
}
