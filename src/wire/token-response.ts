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
  device_token: Type.Optional(
    Type.String({
      description:
        'Proves this device logged in before: send it back as `device_token` on later logins (login throttling)',
    }),
  ),
})

export type TokenBody = Static<typeof TokenResponse>
