import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { Type } from 'typebox'
import { passkeyNameMaxLength } from '../auth/mfa/passkeys.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { authOf, mfaContextOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import type { MfaFactorRecord } from '../store/store.js'

const profile = { scopes: ['profile'] }
const authErrors =
  'Needs the `profile` scope (403 `insufficient_scope` without it); no, a bad or an ended token: 401 (`invalid_token`).'

const base64url = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' })

/** The attestation as the browser's `PublicKeyCredential.toJSON()` gives it (WebAuthn §5.1). */
const RegistrationResponse = Type.Object(
  {
    id: base64url(1024),
    rawId: base64url(1024),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        attestationObject: base64url(8192),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
      },
      // Browsers add fields (publicKey, publicKeyAlgorithm, authenticatorData): ignored here.
      { additionalProperties: true },
    ),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: true, description: 'The result of `navigator.credentials.create`' },
)

const PasskeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  backup_eligible: Type.Boolean({ description: 'A synced passkey (WebAuthn BE flag): amr `swk`' }),
  backed_up: Type.Boolean({ description: 'Backed up at the last use (WebAuthn BS flag)' }),
  transports: Type.Array(Type.String()),
})

const view = (f: MfaFactorRecord) => ({
  id: f.id,
  name: f.name,
  created_at: f.createdAt,
  last_used_at: f.lastUsedAt,
  backup_eligible: f.backupEligible,
  backed_up: f.backedUp,
  transports: f.transports,
})

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) })
const json = { bodyLimit: authBodyLimit, preValidation: requireContentType('application/json') }

/**
 * The signed-in user's passkeys: creation options, registration, list, rename and delete
 * (deleting needs a recent multi-factor sign-in, RFC 9470). Registered behind `authenticate`.
 */
export function passkeyRoutes(services: Pick<Services, 'passkeys'>): FastifyPluginAsyncTypebox {
  const { passkeys } = services
  return async (app) => {
    app.post(
      '/users/me/passkeys/options',
      {
        config: { ...profile, stepUp: true },
        schema: {
          operationId: 'startPasskeyRegistration',
          tags: ['passkeys'],
          summary: 'Options to create a passkey',
          description: `The \`PublicKeyCredentialCreationOptionsJSON\` to pass to \`navigator.credentials.create\` (through \`PublicKeyCredential.parseCreationOptionsFromJSON\`): a discoverable credential with user verification required, the relying party ID (the issuer's host), the user's passkeys excluded, and a single-use challenge valid 5 minutes. No body. Adding a passkey is a sensitive action (RFC 9470): a user who already has a second factor needs a multi-factor sign-in of the last \`PORTCULLIS_MFA_STEP_UP_MAX_AGE\` seconds, else 401 \`insufficient_user_authentication\`. ${authErrors}`,
          response: {
            200: Type.Object({}, { additionalProperties: true }),
            ...errorResponses(400, 401, 403, 503),
          },
        },
      },
      async (request) => passkeys.registrationOptions(authOf(request).user),
    )

    app.post(
      '/users/me/passkeys',
      {
        ...json,
        config: { ...profile, stepUp: true },
        schema: {
          operationId: 'registerPasskey',
          tags: ['passkeys'],
          summary: 'Register a passkey',
          description: `JSON \`{name?, response}\`: \`response\` is the \`toJSON()\` of the credential \`navigator.credentials.create\` returned for the last options. The challenge, origin (the issuer's or \`PORTCULLIS_WEBAUTHN_ORIGINS\`), relying party ID and user verification are checked; the challenge is spent whatever the outcome. 201 with the passkey. A refused or repeated response, or a passkey already registered: 400 \`invalid_request\` (get new options). \`name\`: 1 to ${passkeyNameMaxLength} characters (default \`Passkey\`). A passkey is a second factor: the user's password sign-ins then ask for one. Adding a passkey is a sensitive action (RFC 9470): a user who already has a second factor needs a multi-factor sign-in of the last \`PORTCULLIS_MFA_STEP_UP_MAX_AGE\` seconds, else 401 \`insufficient_user_authentication\`. ${authErrors}`,
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ maxLength: 256 })),
              response: RegistrationResponse,
            },
            { additionalProperties: false },
          ),
          response: { 201: PasskeyView, ...errorResponses(400, 401, 403, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        const { name, response } = request.body
        const factor = await passkeys.register(
          user,
          response as unknown as RegistrationResponseJSON,
          name,
          mfaContextOf(request),
        )
        return reply.code(201).send(view(factor))
      },
    )

    app.get(
      '/users/me/passkeys',
      {
        config: profile,
        schema: {
          operationId: 'listPasskeys',
          tags: ['passkeys'],
          summary: 'List passkeys',
          description: `The user's passkeys, oldest first. ${authErrors}`,
          response: { 200: Type.Array(PasskeyView), ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (request) => (await passkeys.list(authOf(request).user.id)).map(view),
    )

    app.patch(
      '/users/me/passkeys/:id',
      {
        ...json,
        config: profile,
        schema: {
          operationId: 'renamePasskey',
          tags: ['passkeys'],
          summary: 'Rename a passkey',
          description: `JSON \`{name}\` (1 to ${passkeyNameMaxLength} characters). 204; 404 \`not_found\` for a passkey that is not the user's. ${authErrors}`,
          params: Id,
          body: Type.Object(
            { name: Type.String({ maxLength: 256 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const { user } = authOf(request)
        await passkeys.rename(user.id, request.params.id, request.body.name, mfaContextOf(request))
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/users/me/passkeys/:id',
      {
        config: { ...profile, stepUp: true },
        schema: {
          operationId: 'deletePasskey',
          tags: ['passkeys'],
          summary: 'Delete a passkey',
          description: `204; 404 \`not_found\` for a passkey that is not the user's. With the last factor go the recovery codes. A sensitive action (RFC 9470 step-up): a user with a second factor needs a multi-factor sign-in within \`PORTCULLIS_MFA_STEP_UP_MAX_AGE\`, else 401 \`insufficient_user_authentication\` with \`max_age\` in \`WWW-Authenticate\`. ${authErrors}`,
          params: Id,
          response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        await passkeys.remove(authOf(request).user.id, request.params.id, mfaContextOf(request))
        return reply.code(204).send(null)
      },
    )
  }
}
