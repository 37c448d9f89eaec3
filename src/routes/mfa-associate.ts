import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError, invalidRequest } from '../errors.js'
import { userAgentOf } from '../http/actor.js'
import { bearerChallenge, extractBearerToken } from '../http/bearer.js'
import { type CallingClientDeps, callingClientOf } from '../http/calling-client.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'
import type { Services } from '../services.js'

const AssociateBody = Type.Object(
  {
    client_id: Type.Optional(
      Type.String({ description: 'The client the mfa_token was issued to (default: built-in)' }),
    ),
    client_secret: Type.Optional(Type.String({ description: "A confidential client's secret" })),
    authenticator_types: Type.Optional(
      Type.Array(Type.Literal('otp'), {
        description: 'Only `otp` (an authenticator app, RFC 6238) is offered here',
      }),
    ),
  },
  { additionalProperties: false },
)

const Enrollment = Type.Object({
  authenticator_type: Type.Literal('otp'),
  secret: Type.String({ description: 'The base32 TOTP secret (shown once)' }),
  otpauth_uri: Type.String({ description: 'The `otpauth://totp/...` URI of the secret' }),
  qr_svg: Type.String({ description: 'The URI as an inline SVG QR code' }),
})

/**
 * POST /mfa/associate: a user whose role requires a second factor and who has none enrolls an
 * authenticator app during the password grant (the shape Auth0 made familiar): the
 * `Authorization: Bearer <mfa_token>` of the 403 `mfa_enrollment_required`, the client as for
 * the token endpoint but in the JSON body (the header carries the mfa_token). The secret is
 * pending until the MFA grant confirms it with a current code.
 */
export function mfaAssociateRoutes(
  services: Pick<Services, 'mfa' | 'mfaLogins'> & CallingClientDeps & { realm: string },
): FastifyPluginAsyncTypebox {
  const { mfa, mfaLogins, realm } = services
  const callingClient = callingClientOf(services)
  const invalidToken = () => {
    const description = 'the mfa_token is invalid, expired or was already used: sign in again'
    return new ApiError('invalid_token', description, {
      'www-authenticate': bearerChallenge(realm, 'invalid_token', description),
    })
  }
  return async (app) => {
    app.post(
      '/mfa/associate',
      {
        bodyLimit: authBodyLimit,
        onRequest: noCache,
        preValidation: requireContentType('application/json'),
        schema: {
          operationId: 'associateMfa',
          security: [],
          tags: ['tokens'],
          summary: 'Enroll an authenticator app during the password grant (mfa_token)',
          description:
            "For the password grant's 403 `mfa_enrollment_required` (a role in `PORTCULLIS_MFA_REQUIRED_ROLES`, no second factor yet): `Authorization: Bearer <mfa_token>`, JSON body with the `client_id` (and `client_secret`) the token was issued to. Answers the new TOTP secret, its `otpauth://` URI and a QR code (SVG); then `POST /token` with `grant_type=urn:portcullis:params:oauth:grant-type:mfa`, the same `mfa_token` and a current `otp` confirms it and returns the tokens plus ten `recovery_codes`. 401 `invalid_token` for an unknown, expired, spent or another client's mfa_token; 400 `invalid_request` when the account already has a second factor.",
          body: AssociateBody,
          response: { 200: Enrollment, ...errorResponses(400, 401, 409, 413, 415, 429, 503) },
        },
      },
      async (request) => {
        const mfaToken = extractBearerToken(request.raw, realm)
        const client = await callingClient(request, request.body, false, false)
        const user = await mfaLogins.userOf(mfaToken, client.id).catch((error: unknown) => {
          throw error instanceof ApiError && error.code === 'invalid_grant' ? invalidToken() : error
        })
        if (await mfa.hasFactor(user.id)) {
          throw invalidRequest(
            'this account already has a second factor: complete the sign-in with it (the MFA grant)',
          )
        }
        const context = { clientId: client.id, ip: request.ip, userAgent: userAgentOf(request) }
        const enrollment = await mfa.enrollTotp(user, context)
        return {
          authenticator_type: 'otp' as const,
          secret: enrollment.secret,
          otpauth_uri: enrollment.otpauthUri,
          qr_svg: enrollment.qrSvg,
        }
      },
    )
  }
}
