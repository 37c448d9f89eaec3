import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { accountKey } from '../auth/login-throttle.js'
import { requestMetaOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { passwordChecked } from '../http/password-checked.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import {
  type Accepted,
  AcceptedSchema,
  EmailChangeBodySchema,
  EmailTokenBodySchema,
} from '../wire/email.js'

const tags = ['users']
const profile = { scopes: ['profile'] }
const json = requireContentType('application/json')
const authErrors =
  'Needs the `profile` scope (403 `insufficient_scope` without it); no or a bad Bearer token: 401 as for `GET /users/me`.'
const limits =
  'Mail limits: per client IP and per address an hour (`PORTCULLIS_MAIL_IP_LIMIT`, `PORTCULLIS_MAIL_ADDRESS_LIMIT`), 429 `too_many_requests` with `Retry-After`, counted before anything is looked up.'

/** POST /email/verify: redeems a verification or email-change link. Public. */
export function emailVerifyRoutes(
  services: Pick<Services, 'verification'> & {
    /** The per-IP limit of the unauthenticated endpoints. */
    rateLimited: (request: FastifyRequest) => Promise<void>
  },
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/email/verify',
      {
        bodyLimit: authBodyLimit,
        onRequest: services.rateLimited,
        preValidation: json,
        schema: {
          operationId: 'verifyEmail',
          security: [],
          tags,
          summary: 'Confirm an email address',
          description:
            'JSON `{token}`, the token of a link sent by mail (`/verify-email#token=…`). A verification link marks the address verified; an email-change link makes the new address the account’s, verified, and tells the old address. 204 on success. A used, expired, unknown or other kind of token: 400 `invalid_token`, one description for all. The new address of an email change taken by another user meanwhile: 409 `email_taken` (the link stays usable). Each link works once.',
          body: EmailTokenBodySchema,
          response: { 204: Type.Null(), ...errorResponses(400, 409, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        await services.verification.verify(request.body.token, requestMetaOf(request))
        return reply.code(204).send(null)
      },
    )
  }
}

const resendAccepted: Accepted = {
  message: 'unless the address is already verified, a new verification link is on its way',
}
const changeAccepted: Accepted = {
  message:
    'a confirmation link is on its way to the new address; the address changes once it is followed',
}

/** POST /email/verify/resend and PUT /users/me/email. Registered behind `authenticate`. */
export function emailAccountRoutes(
  services: Pick<Services, 'verification' | 'emailChange' | 'throttle'>,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/email/verify/resend',
      {
        config: profile,
        schema: {
          operationId: 'resendEmailVerification',
          tags,
          summary: 'Send a new verification link',
          description: `Sends a new verification link to the user’s address; older links stop working. 202 with \`{message}\`; nothing is sent when the address is already verified or there is none. ${limits} ${authErrors}`,
          response: { 202: AcceptedSchema, ...errorResponses(400, 401, 403, 429, 503) },
        },
      },
      async (request, reply) => {
        await services.verification.resend(authOf(request).user, requestMetaOf(request))
        return reply.code(202).send(resendAccepted)
      },
    )

    app.put(
      '/users/me/email',
      {
        bodyLimit: authBodyLimit,
        config: { ...profile, stepUp: true },
        preValidation: json,
        schema: {
          operationId: 'changeEmail',
          tags,
          summary: 'Change the email address',
          description: `JSON \`{new_email, password}\`. Sends a confirmation link to the new address and a notice to the current one; the address changes only when the link is confirmed at \`POST /email/verify\`. 202 with \`{message}\`. A malformed address: 400 \`invalid_request\`; a wrong password: 400 \`invalid_grant\` (counted as a failed login); an address another user holds: 409 \`email_taken\` (now, and again at confirmation). ${limits} ${authErrors}`,
          body: EmailChangeBodySchema,
          response: {
            202: AcceptedSchema,
            ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        const { new_email, password } = request.body
        await passwordChecked(services.throttle, request, accountKey(user, user.username), () =>
          services.emailChange.request(user, new_email, password, requestMetaOf(request)),
        )
        return reply.code(202).send(changeAccepted)
      },
    )
  }
}
