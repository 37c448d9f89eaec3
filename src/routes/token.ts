import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { grantScopes } from '../auth/scopes.js'
import { ApiError, invalidGrant, invalidRequest } from '../errors.js'
import { requireContentType } from '../http/content-type.js'
import { errorResponses } from '../http/schemas.js'
import { noCache } from '../http/security-headers.js'
import type { Services } from '../services.js'

// Each parameter is a plain string: a repeated parameter parses into an array and fails
// validation as invalid_request (RFC 6749 §3.2). Unknown parameters are ignored (§3.2).
const param = (description: string) => Type.Optional(Type.String({ description }))
const TokenForm = Type.Object(
  {
    grant_type: param("`password`; may be omitted, as FastAPI's OAuth2PasswordRequestForm allows"),
    username: param('The username (any case or width form) or the email address'),
    password: param('The password'),
    scope: param('Space-separated scopes; omitted: the default scopes'),
    client_id: param('Optional; the first-party client id'),
    client_secret: param('Not used: the first-party client is public'),
  },
  { additionalProperties: true },
)

const TokenResponse = Type.Object({
  access_token: Type.String({ description: 'A JWT (RFC 9068, typ at+jwt)' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  scope: Type.String(),
})

// RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted".
const present = (value: string | undefined) => (value === '' ? undefined : value)

/** Client authentication: only the public first-party client exists (clients arrive later). */
function checkClient(request: FastifyRequest, clientId: string | undefined, expected: string) {
  const header = request.headers.authorization
  if (header !== undefined) {
    const [scheme, value] = header.split(' ')
    const decoded =
      scheme?.toLowerCase() === 'basic' && value ? Buffer.from(value, 'base64').toString() : ''
    const [id, secret] = decoded.split(':')
    // RFC 6749 §5.2: a failed Authorization-header attempt is 401 with a matching challenge.
    if (decodeURIComponent(id ?? '') !== expected || secret) {
      throw new ApiError('invalid_client', 'client authentication failed', {
        'www-authenticate': 'Basic realm="token"',
      })
    }
  }
  if (clientId !== undefined && clientId !== expected) {
    throw new ApiError('invalid_client', 'unknown client_id')
  }
}

/** POST /token: the OAuth2 password grant (RFC 6749 §4.3), as the tutorial's clients use it. */
export function tokenRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { config } = services
  return async (app) => {
    app.post(
      '/token',
      {
        bodyLimit: 16 * 1024,
        onRequest: noCache,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          tags: ['tokens'],
          summary: 'Log in: OAuth2 password grant',
          description:
            "RFC 6749 §4.3 password grant, `application/x-www-form-urlencoded`. `grant_type` may be omitted (the tutorial's clients send only username and password). Errors follow RFC 6749 §5.2: 400 `invalid_request` (missing or repeated parameter), `invalid_grant` (wrong username or password: an unknown user is indistinguishable), `unsupported_grant_type`, `invalid_scope`; 401 `invalid_client`; 503 with Retry-After when the server is saturated.",
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenForm,
          response: { 200: TokenResponse, ...errorResponses(400, 401, 413, 415, 503) },
        },
      },
      async (request) => {
        const form = request.body
        const grantType = present(form.grant_type) ?? 'password'
        if (grantType !== 'password') {
          throw new ApiError('unsupported_grant_type', `grant_type "${grantType}" is not supported`)
        }
        checkClient(request, present(form.client_id), config.clientId)
        const username = present(form.username)
        const password = present(form.password)
        if (username === undefined) throw invalidRequest('"username" is required')
        if (password === undefined) throw invalidRequest('"password" is required')
        const scope = grantScopes(present(form.scope), config.scopes, config.defaultScopes)
        const user = await services.users.authenticate(username, password)
        if (!user) throw invalidGrant('invalid username or password')
        const issued = await services.tokens.issue(user.id, config.clientId, scope)
        return {
          access_token: issued.token,
          token_type: 'Bearer' as const,
          expires_in: issued.expiresIn,
          scope,
        }
      },
    )
  }
}
