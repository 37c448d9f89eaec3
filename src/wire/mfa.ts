import { type Static, Type } from 'typebox'
import { nullable } from './nullable.js'

/** A second factor as its owner sees it: never its secret or public key. */
export const MfaFactorSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('totp'), Type.Literal('passkey')]),
  name: Type.String({ description: '`Authenticator app`, or the name given to a passkey' }),
  created_at: Type.String(),
  confirmed: Type.Boolean({
    description:
      'False for an authenticator app enrolled but not yet confirmed (it changes nothing at sign-in)',
  }),
  last_used_at: nullable(Type.String()),
})

/** The body of `GET /users/me/mfa`. */
export const MfaListingSchema = Type.Object({
  factors: Type.Array(MfaFactorSchema, { description: 'Oldest first, pending ones included' }),
  recovery_codes_remaining: Type.Integer({ description: 'Unused recovery codes' }),
})
export type MfaListing = Static<typeof MfaListingSchema>

/** The body of `POST /users/me/mfa/totp`: shown once, never again. */
export const TotpEnrollmentSchema = Type.Object({
  secret: Type.String({ description: 'The base32 shared secret, for apps that cannot scan' }),
  otpauth_uri: Type.String({
    description: 'The `otpauth://totp/…` URI (SHA-1, 6 digits, 30 s; issuer: the product name)',
  }),
  qr_svg: Type.String({ description: 'The URI as a QR code, an inline SVG document' }),
})
export type TotpEnrollmentBody = Static<typeof TotpEnrollmentSchema>

/** The body of `POST /users/me/mfa/totp/confirm`. */
export const TotpConfirmBodySchema = Type.Object(
  {
    code: Type.String({
      maxLength: 64,
      description: 'The 6-digit code the authenticator app shows now',
    }),
  },
  { additionalProperties: false },
)

/** Recovery codes, shown once: each signs in once in place of a second factor. */
export const RecoveryCodesSchema = Type.Object({
  recovery_codes: Type.Array(Type.String(), {
    description:
      'Ten codes `xxxxx-xxxxx`, each usable once (case, spaces and dashes ignored); only their hashes are kept, so they cannot be shown again',
  }),
})

/** Which second factors a user has, as the admin API shows it. */
export const AdminMfaSchema = Type.Object({
  totp: Type.Boolean({ description: 'Whether a confirmed authenticator app is enrolled' }),
  passkeys: Type.Integer({ description: 'How many passkeys are registered' }),
  recovery_codes_remaining: Type.Integer(),
})
export type AdminMfa = Static<typeof AdminMfaSchema>
