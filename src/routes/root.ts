import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../http/schemas.js'

/** GET /: a welcome and where to go next. */
export function rootRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        schema: {
          operationId: 'getWelcome',
          security: [],
          tags: ['meta'],
          summary: 'Welcome',
          description:
            'A welcome message and links to the interactive docs and the OpenAPI document.',
          response: {
            200: Type.Object({
              message: Type.String(),
              docs: Type.String(),
              openapi: Type.String(),
            }),
            ...errorResponses(400),
          },
        },
      },
      async () => ({
        message: 'Welcome to Portcullis, a secure authentication API.',
        docs: '/docs',
        openapi: '/openapi.json',
      }),
    )
  }
}
