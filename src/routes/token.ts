import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ClientsConfig } from '../config/access.js'
import { userAgentOf } from '../http/actor.js'
import { callingClientOf } from '../http/calling-client.js'
import type { ClientAuthenticator } from '../http/client-auth.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'
import type { Services } from '../services.js'
import { TokenFormSchema } from '../wire/token-request.js'
import { MfaRequiredBody, TokenResponse } from '../wire/token-response.js'

/** POST /token: the password (RFC 6749 §4.3), refresh_token (§6) and client_credentials (§4.4) grants. */
export function tokenRoutes(
  services: Pick<Services, 'grants' | 'clients'> & {
    authenticateClient: ClientAuthenticator
    /** Whether the built-in client is refused, and its id. */
    clientPolicy: ClientsConfig
  },
): FastifyPluginAsyncTypebox {
  const { grants } = services
  const callingClient = callingClientOf(services)

  return async (app) => {
    app.post(
      '/token',
      {
        bodyLimit: authBodyLimit,
        onRequest: noCache,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          operationId: 'issueToken',
          security: [],
          tags: ['tokens'],
          summary:
            'Log in (password), refresh (refresh_token) or get a client token (client_credentials)',
          description:
            "`application/x-www-form-urlencoded`. **Password grant** (RFC 6749 §4.3): `username`, `password`; `grant_type` may be omitted (the tutorial's clients send only username and password). Starts a session and returns an access token and a refresh token. `scope` may ask for any scopes the user's roles grant (and the client allows); omitted, the token gets the default scopes the user may have (never `admin`, which must be asked for). The password grant answers only while `PORTCULLIS_PASSWORD_GRANT` is on (the default, for the tutorial's clients): new apps should use the authorization code flow with PKCE instead, so that only this server ever sees the user's password (RFC 9700 §2.4 says the password grant MUST NOT be used); off, it answers 400 `unsupported_grant_type`. **Resource** (RFC 8707): `resource` names the API the access token is for, one of `PORTCULLIS_RESOURCES` (else 400 `invalid_target`); the token's `aud` is then that resource, Portcullis's own endpoints refuse it, and `admin` is never granted with it (400 `invalid_scope`). **Refresh grant** (§6): `grant_type=refresh_token`, `refresh_token`; spends the refresh token and returns a new pair. A refresh token presented a second time is treated as stolen: the whole session is revoked. `scope` may narrow on refresh, never widen; scopes the user's roles no longer grant are dropped. **Client credentials grant** (§4.4): a confidential client authenticates (HTTP Basic or `client_id` + `client_secret`) and gets an access token whose `sub` is its `client_id`, no refresh token. **Authorization code grant** (§4.1.3, RFC 7636): `grant_type=authorization_code`, `code` (from `/authorize`), `redirect_uri` (exactly as sent there), `code_verifier` (PKCE); a public client sends `client_id`, a confidential one authenticates. A code works once, for 60 seconds; presenting it again revokes the tokens issued for it. With `openid` in its scope the response carries an `id_token`. **MFA grant**: when the password is right and the user has a second factor, the password grant answers 403 `mfa_required` with an `mfa_token` (5 minutes, this client only) and `mfa_methods`, and no session; `grant_type=urn:portcullis:params:oauth:grant-type:mfa`, `mfa_token`, `otp` (an authenticator-app code or a recovery code) then completes the sign-in with the first step's scope (400 `invalid_grant` for a wrong code or a bad, expired or spent token; the fifth wrong code spends it; 429 while wrong codes are throttled). A role in `PORTCULLIS_MFA_REQUIRED_ROLES` without a factor gets 403 `mfa_enrollment_required` with an `mfa_token` for `POST /mfa/associate`, and the MFA grant then also returns `recovery_codes`. **Clients:** without client credentials the built-in public client is used (unless the server requires a registered client); a registered client authenticates with HTTP Basic or form parameters, never both. Errors follow RFC 6749 §5.2: 400 `invalid_request` (missing or repeated parameter), `invalid_grant` (wrong username or password, which an unknown user cannot be told apart from; a bad, expired, revoked or reused refresh token; or an authorization code that is unknown, expired, used, another client's, or whose `redirect_uri` or `code_verifier` does not match), `unsupported_grant_type` (also the password grant while it is turned off), `invalid_target` (a `resource` not configured), `invalid_scope` (unknown, or not granted to the user or client), `unauthorized_client` (grant type not allowed for the client), `email_not_verified` (only with `PORTCULLIS_REQUIRE_VERIFIED_EMAIL=true`, and only after a right password: the user's email address is not verified, or the user has none and so cannot verify one; follow the verification link, or a reset link from `POST /password/forgot` (which verifies the address too), then log in again); 401 `invalid_client` with `WWW-Authenticate: Basic` (unknown client, wrong or missing secret); 503 with Retry-After when the server is saturated.",
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenFormSchema,
          response: {
            200: TokenResponse,
            ...errorResponses(400, 401, 413, 415, 429, 503),
            403: MfaRequiredBody,
          },
        },
      },
      async (request) => {
        const form = request.body
        const grantType = grants.grantType(form.grant_type)
        const client = await callingClient(request, form, grantType === 'client_credentials')
        return grants.issue(grantType, form, {
          ip: request.ip,
          userAgent: userAgentOf(request),
          deviceToken: form.device_token,
          client,
        })
      },
    )
  }
}
