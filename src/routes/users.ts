import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { accountKey } from '../auth/login-throttle.js'
import { toPublicUser } from '../auth/users.js'
import { actorOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { passwordChecked as checkPassword } from '../http/password-checked.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import { PublicUserSchema } from '../wire/public-user.js'

const profile = { scopes: ['profile'] }
const authErrors =
  'Needs the `profile` scope (403 `insufficient_scope` without it). No credentials: 401 with `WWW-Authenticate: Bearer realm="…"`. An expired, forged or malformed token, or the token of an ended session or of a deleted or disabled user: 401 `invalid_token`. A malformed or repeated Authorization header: 400 `invalid_request`.'

/** GET /users/me, PUT /users/me/password, DELETE /users/me. Registered behind `authenticate`. */
export function userRoutes(
  services: Pick<Services, 'users' | 'sessions' | 'audit' | 'throttle' | 'recovery'>,
): FastifyPluginAsyncTypebox {
  const passwordChecked = (request: FastifyRequest, account: string, check: () => Promise<void>) =>
    checkPassword(services.throttle, request, account, check)

  return async (app) => {
    app.get(
      '/users/me',
      {
        config: profile,
        schema: {
          operationId: 'getCurrentUser',
          tags: ['users'],
          summary: 'The current user',
          description: `The user the access token belongs to. ${authErrors}`,
          response: { 200: PublicUserSchema, ...errorResponses(400, 401, 503) },
        },
      },
      // Not async: the answer is at hand, and a promise per request is measurable here.
      (request) => toPublicUser(authOf(request).user),
    )

    app.put(
      '/users/me/password',
      {
        bodyLimit: authBodyLimit,
        config: { ...profile, stepUp: true },
        preValidation: requireContentType('application/json'),
        schema: {
          operationId: 'changePassword',
          tags: ['users'],
          summary: 'Change the password',
          description: `JSON \`{current_password, new_password}\`. A wrong current password is 400 \`invalid_grant\`; the new one must meet the password policy (400 \`invalid_request\` naming the rule). Every other session of the user ends; the current one stays; every outstanding reset link dies, and a notice goes to the user’s address. 204 on success. ${authErrors}`,
          body: Type.Object(
            {
              current_password: Type.String({ maxLength: 1024 }),
              new_password: Type.String({ maxLength: 1024 }),
            },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorResponses(400, 401, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { user, session } = authOf(request)
        await passwordChecked(request, accountKey(user, user.username), () =>
          services.users.changePassword(
            user,
            request.body.current_password,
            request.body.new_password,
          ),
        )
        await services.sessions.revokeAll(user.id, session.id)
        await services.recovery.passwordChanged(user)
        await services.audit.record({
          type: 'password.change',
          userId: user.id,
          actor: actorOf(request, user.id),
        })
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/users/me',
      {
        bodyLimit: authBodyLimit,
        config: { ...profile, stepUp: true },
        preValidation: requireContentType('application/json'),
        schema: {
          operationId: 'deleteCurrentUser',
          tags: ['users'],
          summary: 'Delete the account',
          description: `JSON \`{password}\`. Deletes the user; every session ends and every token of the user stops working at once. A wrong password is 400 \`invalid_grant\`. 204 on success. ${authErrors}`,
          body: Type.Object(
            { password: Type.String({ maxLength: 1024 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorResponses(400, 401, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        await passwordChecked(request, accountKey(user, user.username), () =>
          services.users.deleteAccount(user, request.body.password),
        )
        await services.audit.record({
          type: 'account.delete',
          userId: user.id,
          actor: actorOf(request, user.id),
          detail: { username: user.username },
        })
        return reply.code(204).send(null)
      },
    )
  }
}
