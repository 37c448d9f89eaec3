import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { grantScopes } from '../auth/scopes.js'
import { canonicalEmail, canonicalUsername } from '../auth/usernames.js'
import { ApiError, invalidGrant, invalidRequest } from '../errors.js'
import { authenticateClient } from '../http/client-auth.js'
import { clientKey } from '../http/client-ip.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { perMinute } from '../http/rate-limit.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'
import type { Services } from '../services.js'

// Each parameter is a plain string: a repeated parameter parses into an array and fails
// validation as invalid_request (RFC 6749 §3.2). Unknown parameters are ignored (§3.2).
const param = (description: string) => Type.Optional(Type.String({ description }))
const TokenForm = Type.Object(
  {
    grant_type: param(
      "`password` (may be omitted, as FastAPI's OAuth2PasswordRequestForm allows) or `refresh_token`",
    ),
    username: param('password grant: the username (any case or width form) or the email address'),
    password: param('password grant: the password'),
    refresh_token: param('refresh_token grant: the refresh token'),
    scope: param(
      "Space-separated scopes; omitted: the default scopes (or, on refresh, the session's)",
    ),
    client_id: param('Optional; the first-party client id'),
    client_secret: param('Not used: the first-party client is public'),
    device_token: param(
      'password grant: the `device_token` of an earlier successful login on this device; exempts it from the account-wide slow-down while the account is under attack',
    ),
  },
  { additionalProperties: true },
)
type Form = Static<typeof TokenForm>

const TokenResponse = Type.Object({
  access_token: Type.String({
    description: 'A JWT (RFC 9068, typ at+jwt) carrying the session id `sid`',
  }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.String({ description: 'Opaque, single-use: each refresh returns a new one' }),
  scope: Type.String(),
  device_token: Type.Optional(
    Type.String({
      description:
        'Proves this device logged in before: send it back as `device_token` on later logins (login throttling)',
    }),
  ),
})

// RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted".
const present = (value: string | undefined) => (value === '' ? undefined : value)

/** The throttling key of a login: its canonical username or email, or the raw text lowercased. */
const loginKey = (login: string) =>
  (login.includes('@') ? canonicalEmail(login) : canonicalUsername(login)) ??
  login.toLowerCase().slice(0, 256)

const userAgent = (request: FastifyRequest) => request.headers['user-agent']?.slice(0, 256) ?? null

/** POST /token: the password grant (RFC 6749 §4.3) and the refresh grant (§6) with rotation. */
export function tokenRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { config } = services

  async function respond(userId: string, sessionId: string, scope: string, refreshToken: string) {
    const issued = await services.tokens.issue(userId, config.clientId, scope, sessionId)
    return {
      access_token: issued.token,
      token_type: 'Bearer' as const,
      expires_in: issued.expiresIn,
      refresh_token: refreshToken,
      scope,
    }
  }

  async function passwordGrant(form: Form, request: FastifyRequest, clientId: string) {
    const username = present(form.username)
    const password = present(form.password)
    if (username === undefined) throw invalidRequest('"username" is required')
    if (password === undefined) throw invalidRequest('"password" is required')
    const scope = grantScopes(present(form.scope), config.scopes, config.defaultScopes)
    const throttled = config.limits.enabled
    // Keyed by the canonical login whether or not the account exists: the answers reveal nothing.
    const account = loginKey(username)
    const ip = clientKey(request.ip)
    if (throttled) await services.throttle.check(account, ip, present(form.device_token))
    const user = await services.users.authenticate(username, password)
    if (!user) {
      if (throttled) await services.throttle.failed(account, ip)
      throw invalidGrant('invalid username or password')
    }
    const deviceToken = throttled ? await services.throttle.succeeded(account, ip) : undefined
    const { session, refreshToken } = await services.sessions.start(user.id, clientId, scope, {
      ip: request.ip,
      userAgent: userAgent(request),
    })
    const body = await respond(user.id, session.id, scope, refreshToken)
    return deviceToken ? { ...body, device_token: deviceToken } : body
  }

  async function refreshGrant(form: Form, request: FastifyRequest, clientId: string) {
    if (config.limits.enabled) {
      await services.rateLimiter.hit('refresh', clientKey(request.ip), perMinute(services))
    }
    const token = present(form.refresh_token)
    if (token === undefined) throw invalidRequest('"refresh_token" is required')
    const rotation = await services.sessions.refresh(token, clientId, present(form.scope))
    const user = await services.users.findById(rotation.session.userId)
    if (!user || user.disabled)
      throw invalidGrant('the refresh token is invalid, expired or revoked')
    return respond(user.id, rotation.session.id, rotation.scope, rotation.refreshToken)
  }

  const grants: Record<string, typeof passwordGrant> = {
    password: passwordGrant,
    refresh_token: refreshGrant,
  }

  return async (app) => {
    app.post(
      '/token',
      {
        bodyLimit: authBodyLimit,
        onRequest: noCache,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          tags: ['tokens'],
          summary: 'Log in (password grant) or refresh (refresh_token grant)',
          description:
            "`application/x-www-form-urlencoded`. **Password grant** (RFC 6749 §4.3): `username`, `password`; `grant_type` may be omitted (the tutorial's clients send only username and password). Starts a session and returns an access token and a refresh token. **Refresh grant** (§6): `grant_type=refresh_token`, `refresh_token`; spends the refresh token and returns a new pair. A refresh token presented a second time is treated as stolen: the whole session is revoked. `scope` may narrow on refresh, never widen. Errors follow RFC 6749 §5.2: 400 `invalid_request` (missing or repeated parameter), `invalid_grant` (wrong username or password, which an unknown user cannot be told apart from; or a bad, expired, revoked or reused refresh token), `unsupported_grant_type`, `invalid_scope`; 401 `invalid_client`; 503 with Retry-After when the server is saturated.",
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenForm,
          response: { 200: TokenResponse, ...errorResponses(400, 401, 413, 415, 503) },
        },
      },
      async (request) => {
        const form = request.body
        const grantType = present(form.grant_type) ?? 'password'
        const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined
        if (!grant)
          throw new ApiError('unsupported_grant_type', `grant_type "${grantType}" is not supported`)
        const clientId = authenticateClient(request, present(form.client_id), config.clientId)
        return grant(form, request, clientId)
      },
    )
  }
}
