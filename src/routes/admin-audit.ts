import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { auditEventTypes } from '../auth/audit.js'
import { invalidRequest } from '../errors.js'
import {
  AuditEventSchema,
  cursorParam,
  limitParam,
  nextCursorSchema,
  toAuditView,
} from '../http/admin-schemas.js'
import { decodeCursor, paginate } from '../http/cursor.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

/** An ISO-8601 time from a query parameter, normalized; 400 naming the parameter otherwise. */
function time(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw invalidRequest(`${name} must be an ISO 8601 date-time`)
  return new Date(ms).toISOString()
}

/** GET /admin/audit: the audit log, newest first, filtered and paginated. */
export function adminAuditRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/admin/audit',
      {
        config: { scopes: ['admin'] },
        schema: {
          tags: ['admin'],
          summary: 'Read the audit log',
          description: `Security events, newest first. Filters: \`user_id\` (the user the event is about), \`type\` (one of ${auditEventTypes.map((t) => `\`${t}\``).join(', ')}), \`since\` and \`until\` (ISO 8601, inclusive). \`limit\` per page; pass \`next_cursor\` as \`cursor\` for older events. Needs \`admin\`.`,
          querystring: Type.Object({
            user_id: Type.Optional(Type.String({ maxLength: 64 })),
            type: Type.Optional(Type.String({ maxLength: 64 })),
            since: Type.Optional(Type.String({ maxLength: 64 })),
            until: Type.Optional(Type.String({ maxLength: 64 })),
            cursor: cursorParam,
            limit: limitParam,
          }),
          response: {
            200: Type.Object({
              events: Type.Array(AuditEventSchema),
              next_cursor: nextCursorSchema,
            }),
            ...errorResponses(400, 401, 403, 503),
          },
        },
      },
      async (request) => {
        const q = request.query
        if (q.type !== undefined && !(auditEventTypes as readonly string[]).includes(q.type)) {
          throw invalidRequest(`unknown event type: ${q.type}`)
        }
        const limit = q.limit ?? 50
        const rows = await services.audit.list({
          userId: q.user_id,
          type: q.type,
          since: time('since', q.since),
          until: time('until', q.until),
          beforeId: decodeCursor(q.cursor),
          limit: limit + 1,
        })
        const { page, next } = paginate(rows, limit, (r) => r.id)
        return { events: page.map(toAuditView), next_cursor: next }
      },
    )
  }
}
