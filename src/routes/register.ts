import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { toPublicUser } from '../auth/users.js'
import { hashedPasswordHint, invalidRequest } from '../errors.js'
import { actorOf, requestMetaOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import { PublicUserSchema } from '../wire/public-user.js'
import { RegistrationSchema } from '../wire/registration.js'

/**
 * The tutorial's clients send `hashed_password`; say what to do instead, before the schema
 * reports the missing `password`.
 */
function refuseHashedPassword(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  const body = request.body
  if (body && typeof body === 'object' && Object.hasOwn(body, 'hashed_password')) {
    return done(invalidRequest(hashedPasswordHint))
  }
  done()
}

/** POST /register: create an account (and send a verification link to its address, if any). */
export function registerRoutes(
  services: Pick<Services, 'users' | 'audit'> & {
    /** Sends the verification link; null where the email flows are off. */
    verification: Pick<Services['verification'], 'send'> | null
    /** The per-IP registration limit (PORTCULLIS_REGISTER_LIMIT an hour). */
    rateLimited: (request: FastifyRequest) => Promise<void>
  },
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/register',
      {
        bodyLimit: authBodyLimit,
        onRequest: services.rateLimited,
        preValidation: [requireContentType('application/json'), refuseHashedPassword],
        schema: {
          operationId: 'registerUser',
          security: [],
          tags: ['users'],
          summary: 'Register a user',
          description:
            'Creates a user from a JSON body. Unknown fields are rejected with 400 (never silently dropped): `role`, `is_admin` and `hashed_password` cannot be set. A taken username or email is 409 (the answer reveals that the name exists, as any sign-up form must without email verification). With an `email`, and the email flows on, a verification link goes to it (`email_verified` is false until it is followed).',
          body: RegistrationSchema,
          response: { 201: PublicUserSchema, ...errorResponses(400, 409, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const { username, password, email, full_name } = request.body
        const user = await services.users.register({ username, password, email, full_name })
        await services.audit.record({
          type: 'user.register',
          userId: user.id,
          actor: actorOf(request, user.id),
        })
        await services.verification?.send(user, requestMetaOf(request))
        return reply.code(201).send(toPublicUser(user))
      },
    )
  }
}
