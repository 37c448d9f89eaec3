import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { errorResponses } from '../http/schemas.js'
import { docsPageCsp, docsPageCss, docsPageScript, openApiPath } from './docs-page.js'
import { apiDescription, openApiTags } from './openapi-description.js'

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
        description: apiDescription(config),
      },
      servers: [{ url: config.tokens.issuer }],
      tags: openApiTags,
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: {
            type: 'oauth2',
            flows: {
              password: {
                tokenUrl: '/token',
                scopes: Object.fromEntries(
                  config.scopes.offered.map((s) => [s, scopeDescription(s)]),
                ),
              },
            },
          },
        },
      },
    },
  })
}

/**
 * GET /docs (Swagger UI under a Portcullis header, assets served by this server: no CDN, no
 * inline script) and GET /openapi.json, the document the page loads. Registered after the routes.
 */
export async function registerDocs(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The page itself is configured by the theme script (see docsPageScript).
    theme: {
      title: 'Portcullis API docs',
      css: [{ filename: 'portcullis.css', content: docsPageCss }],
      js: [{ filename: 'portcullis.js', content: docsPageScript(config) }],
    },
    staticCSP: docsPageCsp(config),
  })
  app.get(
    openApiPath,
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
