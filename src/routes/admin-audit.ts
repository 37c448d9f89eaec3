import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { auditEventTypes } from '../auth/audit.js'
import { invalidRequest } from '../errors.js'
import { cursorParam, limitParam, nextCursorSchema, toAuditView } from '../http/admin-schemas.js'
import { decodeCursor, pageLimit, paginate } from '../http/cursor.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'
import { AuditEventSchema } from '../wire/audit-event.js'

// RFC 3339 date, or date-time with a zone: what the records store and compare as text.
const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/

/** Whether y-m-d names a real day (Date.parse rolls 2026-02-30 over to March). */
function isRealDay(y: number, m: number, d: number): boolean {
  const day = new Date(0)
  day.setUTCFullYear(y, m - 1, d) // unlike Date.UTC, keeps years 0-99 as they are
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d
}

/** An RFC 3339 time from a query parameter, normalized to UTC; 400 naming it otherwise. */
function time(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  const match = rfc3339.exec(value)
  const ms = Date.parse(value)
  const normalized = Number.isNaN(ms) ? '' : new Date(ms).toISOString()
  // Years 0001-9999 only: a zone offset can push 9999 past what the columns hold (+010000-…),
  // and PostgreSQL has no year 0.
  const [, y, m, d] = (match ?? []).map(Number)
  if (!match || !/^(?!0000)\d{4}-/.test(normalized) || !isRealDay(y ?? 0, m ?? 0, d ?? 0)) {
    throw invalidRequest(`${name} must be an RFC 3339 date or date-time, e.g. 2026-11-28T10:00:00Z`)
  }
  return normalized
}

/** GET /admin/audit: the audit log, newest first, filtered and paginated. */
export function adminAuditRoutes(services: Pick<Services, 'audit'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/admin/audit',
      {
        config: { scopes: ['admin'] },
        schema: {
          operationId: 'listAuditEvents',
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
        const limit = pageLimit(q.limit)
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
