import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { RawParams } from '../auth/authorization/request.js'
import { requestMetaOf } from '../http/actor.js'
import type { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { requireContentType } from '../http/content-type.js'
import { authBodyLimit } from '../http/limits.js'
import { htmlPageHeaders } from '../http/page-headers.js'
import { errorResponses } from '../http/schemas.js'
import { authorizeErrorPage } from '../pages/authorize-error-page.js'
import type { Services } from '../services.js'
import { ErrorBodySchema } from '../wire/error-body.js'

export interface AuthorizeRouteOptions extends Pick<Services, 'authorization' | 'browserSessions'> {
  cookie: BrowserSessionCookie
  productName: string
}

const param = (description: string) => Type.Optional(Type.String({ description }))

/** The parameters, for the OpenAPI document only (see `acceptAsSent`). */
const AuthorizationParams = Type.Object(
  {
    response_type: param('`code` (the only response type)'),
    client_id: param('The registered client'),
    redirect_uri: param(
      "One of the client's registered redirect URIs, exactly; may be omitted when it has exactly one",
    ),
    scope: param(
      'Space-separated: `openid` (OpenID Connect) and scopes the client may have; omitted: the default scopes',
    ),
    state: param('Returned unchanged in the redirect (CSRF protection of the client)'),
    code_challenge: param('PKCE (RFC 7636): BASE64URL(SHA-256(code_verifier)), 43 characters'),
    code_challenge_method: param('`S256` (required; `plain` is refused)'),
    nonce: param('OpenID Connect: carried into the ID token'),
    resource: param('RFC 8707: the API the access token is for (one of PORTCULLIS_RESOURCES)'),
    prompt: param('`none`, `login`, `consent` (space-separated; `none` alone)'),
    max_age: param('Seconds: sign in again if the last sign-in is older'),
    login_hint: param('The username to fill in on the login page'),
    response_mode: param('`query` (the only response mode)'),
  },
  { additionalProperties: true },
)

/**
 * The flow reads the parameters itself: a repeated one arrives as an array and is refused by the
 * flow with a redirect (or an error page, for client_id and redirect_uri), which a schema error
 * could not do (RFC 6749 §4.1.2.1: errors go to the client once its redirect URI is trusted).
 */
const acceptAsSent = () => () => true

const description =
  'The authorization endpoint (RFC 6749 §4.1, OAuth 2.1, OpenID Connect Core §3.1.2; POST takes the same parameters as a form, Core §3.1.2.1). Authorization code flow with PKCE `S256` required of every client. Signed in (browser session cookie) and allowed: 303 to `redirect_uri` with `code`, `state` and `iss` (RFC 9207). Not signed in: 303 to `/login` (with `prompt=none`: 303 to the client with `error=login_required`); consent needed (a client that is not first-party): 303 to `/consent` (`prompt=none`: `consent_required`). Errors: an unknown `client_id` or a `redirect_uri` not registered for it (compared exactly) is a 400 HTML error page and is never redirected; every other error is a 303 to the client with `error` (`invalid_request`, `unsupported_response_type`, `unauthorized_client`, `invalid_scope`, `invalid_target`, `access_denied`, `login_required`, `consent_required`), `error_description`, `state` and `iss`. The code is single-use and lives 60 seconds.'

/**
 * GET and POST /authorize (RFC 6749 §3.1, OpenID Connect Core §3.1.2.1): hands the parameters and
 * the browser session to the flow and answers its outcome: an HTML error page (400, strict CSP,
 * no link to the redirect URI), or a 303 to the client, the login page or the consent page.
 * Never cached: the location may hold a code.
 */
export function authorizeRoutes(options: AuthorizeRouteOptions): FastifyPluginAsync {
  const { authorization, browserSessions, cookie, productName } = options

  async function answer(request: FastifyRequest, reply: FastifyReply, params: RawParams) {
    const value = cookie.read(request)
    const browser = value === null ? null : await browserSessions.current(value)
    const outcome = await authorization.authorize(
      params,
      browser,
      undefined,
      requestMetaOf(request),
    )
    return send(reply, outcome)
  }

  function send(reply: FastifyReply, outcome: AuthorizeOutcome) {
    reply.header('cache-control', 'no-store')
    switch (outcome.kind) {
      case 'error_page':
        return htmlPageHeaders(reply).code(400).send(authorizeErrorPage(productName, outcome.error))
      case 'redirect':
        return reply.redirect(outcome.location, 303)
      case 'login':
      case 'consent':
        return reply.redirect(
          `/${outcome.kind}?${new URLSearchParams(outcome.request.params).toString()}`,
          303,
        )
    }
  }

  const schema = {
    security: [],
    tags: ['tokens'],
    summary: 'Start a sign-in (authorization code flow with PKCE, OpenID Connect)',
    description,
    response: {
      303: Type.Null({
        description:
          'To the client (`code` or `error`, with `state` and `iss`), or to `/login` or `/consent`',
      }),
      ...errorResponses(400, 413, 415, 503),
      // No 2XX exists: the answer is a redirect. Any other status carries the error shape.
      default: ErrorBodySchema,
    },
  }

  return async (app) => {
    app.get(
      '/authorize',
      {
        validatorCompiler: acceptAsSent,
        schema: { ...schema, operationId: 'authorize', querystring: AuthorizationParams },
      },
      (request, reply) => answer(request, reply, request.query as RawParams),
    )
    app.post(
      '/authorize',
      {
        bodyLimit: authBodyLimit,
        validatorCompiler: acceptAsSent,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: {
          ...schema,
          operationId: 'authorizeWithForm',
          consumes: ['application/x-www-form-urlencoded'],
          body: AuthorizationParams,
        },
      },
      (request, reply) => answer(request, reply, (request.body ?? {}) as RawParams),
    )
  }
}
