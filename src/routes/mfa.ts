import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { MfaSummary } from '../auth/mfa/mfa-service.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { authOf, mfaContextOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import {
  type MfaListing,
  MfaListingSchema,
  RecoveryCodesSchema,
  TotpConfirmBodySchema,
  TotpEnrollmentSchema,
} from '../wire/mfa.js'

const profile = { scopes: ['profile'] }
// RFC 9470: a user with a second factor needs a recent multi-factor sign-in for these (adding a
// factor too: a password alone must never add a second key next to the first).
const sensitive = { scopes: ['profile'], stepUp: true }
const tags = ['users']
const auth =
  'Needs the `profile` scope (403 `insufficient_scope`); no or a bad token: 401. Never cached (`Cache-Control: no-store`).'
const stepUp =
  'A user who has a second factor needs a multi-factor sign-in (`amr` with `mfa`) of the last `PORTCULLIS_MFA_STEP_UP_MAX_AGE` seconds, else 401 `insufficient_user_authentication` with `WWW-Authenticate` naming `max_age` (RFC 9470).'

const toListing = (summary: MfaSummary): MfaListing => ({
  factors: summary.factors.map((f) => ({
    id: f.id,
    kind: f.kind,
    name: f.name,
    created_at: f.createdAt,
    confirmed: f.confirmed,
    last_used_at: f.lastUsedAt,
  })),
  recovery_codes_remaining: summary.recoveryCodesRemaining,
})

// Secrets and recovery codes are in these answers: no cache may keep them (RFC 9111 §5.2.2.5).
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')

/**
 * /users/me/mfa…: the calling user's second factors. An authenticator app (RFC 6238 TOTP) is
 * enrolled, then confirmed with its first code, which returns the recovery codes; removing it
 * and new recovery codes need step-up. Registered behind `authenticate`.
 */
export function mfaRoutes(services: Pick<Services, 'mfa'>): FastifyPluginAsyncTypebox {
  const { mfa } = services
  return async (app) => {
    // Encapsulated: only the routes of this plugin.
    app.addHook('onSend', async (_request, reply) => {
      noStore(reply)
    })

    app.get(
      '/users/me/mfa',
      {
        config: profile,
        schema: {
          operationId: 'listCurrentUserMfa',
          tags,
          summary: 'My second factors',
          description: `The calling user's second factors (authenticator app, passkeys; never a secret) and how many unused recovery codes remain. ${auth}`,
          response: { 200: MfaListingSchema, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (request) => toListing(await mfa.list(authOf(request).user.id)),
    )

    app.post(
      '/users/me/mfa/totp',
      {
        config: sensitive,
        schema: {
          operationId: 'enrollTotp',
          tags,
          summary: 'Enroll an authenticator app',
          description: `Starts enrolling an authenticator app (RFC 6238 TOTP: SHA-1, 6 digits, 30 s): answers the new secret, its \`otpauth://\` URI and that URI as an SVG QR code, shown this once. Nothing changes at sign-in until \`POST /users/me/mfa/totp/confirm\`; enrolling again replaces an unconfirmed enrollment. 409 \`totp_enrolled\` when an app is already confirmed (remove it first). ${auth} ${stepUp}`,
          response: { 200: TotpEnrollmentSchema, ...errorResponses(400, 401, 403, 409, 503) },
        },
      },
      async (request) => {
        const enrollment = await mfa.enrollTotp(authOf(request).user, mfaContextOf(request))
        return {
          secret: enrollment.secret,
          otpauth_uri: enrollment.otpauthUri,
          qr_svg: enrollment.qrSvg,
        }
      },
    )

    app.post(
      '/users/me/mfa/totp/confirm',
      {
        bodyLimit: authBodyLimit,
        config: sensitive,
        preValidation: requireContentType('application/json'),
        schema: {
          operationId: 'confirmTotp',
          tags,
          summary: 'Confirm the authenticator app',
          description: `JSON \`{code}\`: the code the app shows now (one step either side is accepted). Turns the app on and answers ten recovery codes, shown this once (an older set dies). 400 \`invalid_request\` for a wrong code (the enrollment stays pending), 404 when nothing waits for confirmation. ${auth} ${stepUp}`,
          body: TotpConfirmBodySchema,
          response: {
            200: RecoveryCodesSchema,
            ...errorResponses(400, 401, 403, 404, 413, 415, 503),
          },
        },
      },
      async (request) => {
        const { user } = authOf(request)
        const codes = await mfa.confirmTotp(user.id, request.body.code, mfaContextOf(request))
        return { recovery_codes: codes }
      },
    )

    app.delete(
      '/users/me/mfa/totp',
      {
        config: sensitive,
        schema: {
          operationId: 'removeTotp',
          tags,
          summary: 'Remove the authenticator app',
          description: `Removes the authenticator app (confirmed or pending); with the last second factor gone, the recovery codes go too. 204; 404 when there is none. ${stepUp} ${auth}`,
          response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        await mfa.removeTotp(authOf(request).user.id, mfaContextOf(request))
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/users/me/mfa/recovery-codes',
      {
        config: sensitive,
        schema: {
          operationId: 'regenerateRecoveryCodes',
          tags,
          summary: 'New recovery codes',
          description: `Answers ten new recovery codes, shown this once; the old ones stop working at once. 400 \`invalid_request\` without a confirmed second factor. ${stepUp} ${auth}`,
          response: { 200: RecoveryCodesSchema, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (request) => {
        const { user } = authOf(request)
        return { recovery_codes: await mfa.regenerateRecoveryCodes(user.id, mfaContextOf(request)) }
      },
    )
  }
}
