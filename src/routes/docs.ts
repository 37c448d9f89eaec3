import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { errorResponses } from '../http/schemas.js'

const builtinScopeDescriptions: Record<string, string> = {
  profile: 'Your account: /users/me, password change, account deletion',
  sessions: 'Your sessions: list and end them, log out everywhere',
  admin: 'The admin API under /admin (admins only; never granted unless asked for)',
}
const scopeDescription = (scope: string) =>
  builtinScopeDescriptions[scope] ?? `The ${scope} scope (for other resource servers)`

/**
 * Registers the OpenAPI 3.1 generator. Must run before the routes are registered so that
 * @fastify/swagger sees them.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Portcullis',
        version: '0.1.0',
        license: { name: 'MIT', identifier: 'MIT' },
        description:
          "A secure authentication API: register, log in with the OAuth2 password form at `/token`, and call `/users/me` with the Bearer JWT. Use **Authorize** to log in from this page.\n\n**Token lifecycle.** A login starts a session and returns an access token (a JWT, 15 minutes, carrying the session id `sid`) and a refresh token (opaque, single-use). `grant_type=refresh_token` spends the refresh token and returns a new pair. Presenting a spent refresh token again revokes the whole session (reuse detection, RFC 9700 §4.14.2), unless it is a retry within the configured grace window, which gets the same successor again. Sessions end after 14 idle days or 90 days in all, on `/logout`, `/logout/all`, `/revoke` (RFC 7009), a password change (other sessions) or account deletion; their access tokens are then refused at once. Example: `POST /token` (password) → `GET /users/me` with the access token → `POST /token` (refresh_token) → `POST /logout`.\n\n**Scopes and roles.** Every protected route lists the scopes it needs; a token without them gets 403 `insufficient_scope`. A user's roles decide which scopes a login may ask for (`user`: everything but `admin`; `admin`: everything). Tick `admin` in **Authorize** to call the admin API as an admin. Machine clients use `client_credentials`; resource servers may verify tokens with the JWKS or ask `/introspect`.",
      },
      servers: [{ url: config.issuer }],
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: {
            type: 'oauth2',
            flows: {
              password: {
                tokenUrl: '/token',
                scopes: Object.fromEntries(config.scopes.map((s) => [s, scopeDescription(s)])),
              },
            },
          },
        },
      },
    },
  })
}

/**
 * GET /docs (Swagger UI, assets served by this server: no CDN) and GET /openapi.json.
 * Registered after the routes.
 */
export async function registerDocs(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: false, tryItOutEnabled: true },
    initOAuth: { clientId: config.clientId, scopes: config.defaultScopes },
    staticCSP: false,
  })
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        security: [],
        tags: ['meta'],
        summary: 'OpenAPI document',
        description: 'The OpenAPI 3.1 description of this API, generated from the route schemas.',
        response: {
          200: Type.Object(
            {},
            { additionalProperties: true, description: 'An OpenAPI 3.1 document' },
          ),
          ...errorResponses(400),
        },
      },
    },
    async () => app.swagger(),
  )
}
