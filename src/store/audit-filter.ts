import type { AuditFilter, AuditRecord } from './store.js'

/** The values of an `audit_events` row in column order, for either engine's insert. */
export const auditValues = (r: AuditRecord) => [
  r.id,
  r.at,
  r.type,
  r.outcome,
  r.userId,
  r.clientId,
  r.actorId,
  r.ip,
  r.userAgent,
  r.detail,
]

/**
 * The query of `audit.list` for either engine: `placeholder(n)` writes the n-th parameter
 * (`?` for SQLite, `$n` for PostgreSQL). Newest first, by id.
 */
export function auditListQuery(
  filter: AuditFilter,
  placeholder: (n: number) => string,
): { sql: string; values: unknown[] } {
  const conditions: string[] = []
  const values: unknown[] = []
  const add = (condition: string, value: string | undefined) => {
    if (value === undefined) return
    values.push(value)
    conditions.push(`${condition} ${placeholder(values.length)}`)
  }
  add('user_id =', filter.userId)
  add('type =', filter.type)
  add('at >=', filter.since)
  add('at <=', filter.until)
  add('id <', filter.beforeId)
  values.push(filter.limit)
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  return {
    sql: `SELECT * FROM audit_events ${where} ORDER BY id DESC LIMIT ${placeholder(values.length)}`,
    values,
  }
}
