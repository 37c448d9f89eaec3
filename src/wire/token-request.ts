import { type Static, Type } from 'typebox'

// Each parameter is a plain string: a repeated parameter parses into an array and fails
// validation as invalid_request (RFC 6749 §3.2). Unknown parameters are ignored (§3.2).
const param = (description: string) => Type.Optional(Type.String({ description }))
/** The form of POST /token (RFC 6749 §4.3, §6, §4.4), as the route validates it. */
export const TokenFormSchema = Type.Object(
  {
    grant_type: param(
      "`authorization_code`, `password` (may be omitted, as FastAPI's OAuth2PasswordRequestForm allows), `refresh_token`, `client_credentials` or `urn:portcullis:params:oauth:grant-type:mfa` (the password grant's second step)",
    ),
    code: param('authorization_code grant: the code from the authorization response'),
    redirect_uri: param(
      'authorization_code grant: the `redirect_uri` of the authorization request, repeated exactly',
    ),
    code_verifier: param('authorization_code grant: the PKCE code verifier (RFC 7636 §4.5)'),
    resource: param(
      'The API the access token is for (RFC 8707): one of PORTCULLIS_RESOURCES; its `aud`. Omitted: Portcullis itself',
    ),
    username: param('password grant: the username (any case or width form) or the email address'),
    password: param('password grant: the password'),
    refresh_token: param('refresh_token grant: the refresh token'),
    scope: param(
      "Space-separated scopes; omitted: the default scopes (or, on refresh, the session's)",
    ),
    client_id: param(
      'The client, when it authenticates with form parameters (or a public client identifying itself); omitted: the built-in first-party client',
    ),
    client_secret: param(
      "A confidential client's secret, when not sent with HTTP Basic (RFC 6749 §2.3.1)",
    ),
    mfa_token: param(
      "MFA grant (`urn:portcullis:params:oauth:grant-type:mfa`): the `mfa_token` of the password grant's 403 `mfa_required` or `mfa_enrollment_required` answer",
    ),
    otp: param(
      'MFA grant: a current code of the authenticator app (TOTP) or an unused recovery code',
    ),
    device_token: param(
      'password grant: the `device_token` of an earlier successful login on this device; exempts it from the account-wide slow-down while the account is under attack',
    ),
  },
  { additionalProperties: true },
)
export type TokenForm = Static<typeof TokenFormSchema>

/** The fields the grants read; the client's own fields are the HTTP layer's. */
export type GrantForm = Pick<
  TokenForm,
  | 'username'
  | 'password'
  | 'refresh_token'
  | 'scope'
  | 'code'
  | 'redirect_uri'
  | 'code_verifier'
  | 'resource'
  | 'mfa_token'
  | 'otp'
>
