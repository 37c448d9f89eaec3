import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { Type } from 'typebox'
import { toPublicUser } from '../auth/users.js'
import { hashedPasswordHint, invalidRequest } from '../errors.js'
import { actorOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses, PublicUserSchema } from '../http/schemas.js'
import type { Services } from '../services.js'

const RegisterBody = Type.Object(
  {
    username: Type.String({
      maxLength: 64,
      description:
        '3 to 32 characters of a-z 0-9 . _ - (after NFKC and lowercasing), starting and ending alphanumeric',
    }),
    password: Type.String({
      maxLength: 1024,
      description:
        'The plain password (TLS protects it in transit). At least 15 characters by default, counted in Unicode code points after NFKC; not a common password; must not contain the username. No composition rules.',
    }),
    email: Type.Optional(
      Type.String({ maxLength: 254, description: 'Optional; unique case-insensitively' }),
    ),
    full_name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

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

/** POST /register: create an account. */
export function registerRoutes(
  services: Pick<Services, 'users' | 'audit'> & {
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
            'Creates a user from a JSON body. Unknown fields are rejected with 400 (never silently dropped): `role`, `is_admin` and `hashed_password` cannot be set. A taken username or email is 409 (the answer reveals that the name exists, as any sign-up form must without email verification).',
          body: RegisterBody,
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
        return reply.code(201).send(toPublicUser(user))
      },
    )
  }
}
