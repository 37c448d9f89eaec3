import { changes, type Db } from './sql.js'
import type { AuditFilter, AuditStore } from './store.js'
import { auditEvents } from './tables.js'

/** The query of `audit.list`: newest first, by id; one text per combination of filters. */
function listQuery(filter: AuditFilter): { text: string; values: unknown[] } {
  const conditions: string[] = []
  const values: unknown[] = []
  const add = (condition: string, value: string | undefined) => {
    if (value === undefined) return
    values.push(value)
    conditions.push(`${condition} $${values.length}`)
  }
  add('user_id =', filter.userId)
  add('type =', filter.type)
  add('at >=', filter.since)
  add('at <=', filter.until)
  add('id <', filter.beforeId)
  values.push(filter.limit)
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  return {
    text: `SELECT * FROM audit_events ${where} ORDER BY id DESC LIMIT $${values.length}`,
    values,
  }
}

/** The audit trail part of the store, over either engine. */
export function auditStore(db: Db): AuditStore {
  return {
    insert: async (r) => {
      await db.query(auditEvents.insert, auditEvents.values(r))
    },
    list(filter) {
      const { text, values } = listQuery(filter)
      return auditEvents.all(db, text, values)
    },
    purge: (before, limit) =>
      changes(
        db,
        `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
         WHERE at < $1 ORDER BY id LIMIT $2)`,
        [before, limit],
      ),
    page: (afterId, limit) =>
      auditEvents.all(db, 'SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2', [
        afterId ?? '',
        limit,
      ]),
  }
}
