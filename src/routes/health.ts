import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { temporarilyUnavailable } from '../errors.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const Status = Type.Object({ status: Type.String() })

/** GET /healthz (the process is up) and GET /readyz (the database answers). */
export function healthRoutes(services: Pick<Services, 'store'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'checkLiveness',
          security: [],
          tags: ['health'],
          summary: 'Liveness',
          description: '200 while the process serves HTTP, even when it sheds load.',
          response: { 200: Status, ...errorResponses(400) },
        },
      },
      async () => ({ status: 'ok' }),
    )
    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'checkReadiness',
          security: [],
          tags: ['health'],
          summary: 'Readiness',
          description: '200 when the database answers; 503 `temporarily_unavailable` otherwise.',
          response: { 200: Status, ...errorResponses(400, 503) },
        },
      },
      async () => {
        try {
          await services.store.ping()
        } catch {
          throw temporarilyUnavailable('the database is not reachable', 2)
        }
        return { status: 'ready' }
      },
    )
  }
}
