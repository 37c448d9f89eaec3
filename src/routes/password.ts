import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { requestMetaOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import {
  type Accepted,
  AcceptedSchema,
  ForgotPasswordBodySchema,
  ResetPasswordBodySchema,
} from '../wire/email.js'

/** The one answer to every accepted `forgot`, whoever the address belongs to. */
export const forgotAccepted: Accepted = {
  message: 'if the address belongs to an account, a reset link is on its way',
}

const tags = ['users']
const json = requireContentType('application/json')

/**
 * POST /password/forgot and POST /password/reset: password recovery by email, for anyone
 * (no Bearer token). Registered only while the email flows are on.
 */
export function passwordRoutes(
  services: Pick<Services, 'recovery'> & {
    /** The per-IP limit of `reset` (PORTCULLIS_REQUEST_LIMIT a minute). */
    rateLimited: (request: FastifyRequest) => Promise<void>
  },
): FastifyPluginAsyncTypebox {
  const { recovery } = services
  return async (app) => {
    // Links being issued when the app closes are finished before the store goes.
    app.addHook('onClose', () => recovery.idle())

    app.post(
      '/password/forgot',
      {
        bodyLimit: authBodyLimit,
        preValidation: json,
        schema: {
          operationId: 'forgotPassword',
          security: [],
          tags,
          summary: 'Ask for a password reset link',
          description:
            'JSON `{email}`. Always 202 with the same body, headers and timing, whether or not the address belongs to an account (the answer never tells); a reset link goes only to an enabled account’s address, valid once for `PORTCULLIS_RESET_TOKEN_TTL` seconds, and voids earlier links. Text that is not an address: 400 `invalid_request`. Over `PORTCULLIS_MAIL_IP_LIMIT` requests an hour from one IP, or `PORTCULLIS_MAIL_ADDRESS_LIMIT` for one address (counted alike for every address): 429 with `Retry-After`.',
          body: ForgotPasswordBodySchema,
          response: {
            202: AcceptedSchema,
            ...errorResponses(400, 413, 415, 429, 503),
          },
        },
      },
      async (request, reply) => {
        await recovery.forgot(request.body.email, requestMetaOf(request))
        return reply.code(202).send(forgotAccepted)
      },
    )

    app.post(
      '/password/reset',
      {
        bodyLimit: authBodyLimit,
        onRequest: services.rateLimited,
        preValidation: json,
        schema: {
          operationId: 'resetPassword',
          security: [],
          tags,
          summary: 'Set a new password with a reset link’s token',
          description:
            'JSON `{token, new_password}`, the token from the link’s `#token=` fragment. 204: the password is replaced, every session of the user ends at once (its access and refresh tokens stop working), every other reset link and every pending email change die, the address counts as verified (the link reached it), the login throttle forgets the account’s failures, and a notice goes to the address. The new password must meet the policy (400 `invalid_request` naming the rule; the token stays usable). A used, expired, unknown or other-purpose token: 400 `invalid_token`, one description for all. Over `PORTCULLIS_REQUEST_LIMIT` requests a minute from one IP: 429 with `Retry-After`.',
          body: ResetPasswordBodySchema,
          response: { 204: Type.Null(), ...errorResponses(400, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        await recovery.reset(request.body.token, request.body.new_password, requestMetaOf(request))
        return reply.code(204).send(null)
      },
    )
  }
}
