import { type Static, Type } from 'typebox'

/**
 * A successful token response (RFC 6749 §5.1): the 200 schema of POST /token and the value the
 * grant service returns.
 */
export const TokenResponse = Type.Object({
  access_token: Type.String({
    description: 'A JWT (RFC 9068, typ at+jwt) carrying the session id `sid`',
  }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.Optional(
    Type.String({
      description:
        'Opaque, single-use: each refresh returns a new one. Not issued to client_credentials',
    }),
  ),
  scope: Type.String(),
  id_token: Type.Optional(
    Type.String({
      description:
        'OpenID Connect ID token (a JWT, `typ` JWT), when the scope includes `openid` (authorization code and refresh grants)',
    }),
  ),
  recovery_codes: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'MFA grant, when it confirmed a new authenticator app (a role that requires a second factor): ten recovery codes, each usable once, shown only this once',
    }),
  ),
  device_token: Type.Optional(
    Type.String({
      description:
        'Proves this device logged in before: send it back as `device_token` on later logins (login throttling)',
    }),
  ),
})

export type TokenBody = Static<typeof TokenResponse>

/**
 * The password grant's 403 when a second factor must follow (`mfa_required`) or be enrolled
 * first (`mfa_enrollment_required`): the error shape plus the `mfa_token` (the shape Auth0 made
 * familiar) and, for `mfa_required`, the methods that can complete the sign-in.
 */
export const MfaRequiredBody = Type.Object({
  error: Type.String({ description: '`mfa_required` or `mfa_enrollment_required`' }),
  error_description: Type.String(),
  mfa_token: Type.Optional(
    Type.String({
      description:
        'Password grant only. Opaque, valid 5 minutes, for this client only: send it with the MFA grant (`grant_type=urn:portcullis:params:oauth:grant-type:mfa`, `otp`), or first to `POST /mfa/associate` to enroll',
    }),
  ),
  mfa_methods: Type.Optional(
    Type.Array(Type.String(), {
      description:
        '`totp`, `recovery_code`, `passkey` (a passkey completes the sign-in only on the hosted login page)',
    }),
  ),
})
