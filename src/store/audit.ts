import { count, type Db, nothing } from './sql.js'
import type { AuditStore } from './store.js'
import { auditEvents } from './tables.js'

/** The audit trail part of the store, over either engine. */
export function auditStore(db: Db): AuditStore {
  return {
    insert: (r) => db.query(auditEvents.insert, auditEvents.values(r), nothing),
    list(filter) {
      const values: unknown[] = []
      const conditions = Object.entries({
        'user_id =': filter.userId,
        'type =': filter.type,
        'at >=': filter.since,
        'at <=': filter.until,
        'id <': filter.beforeId,
      })
        .filter(([, value]) => value !== undefined)
        .map(([condition, value]) => `${condition} $${values.push(value)}`)
      // Newest first, by id; one text (one prepared statement) per combination of filters.
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
      const text = `SELECT * FROM audit_events ${where} ORDER BY id DESC LIMIT $${values.push(filter.limit)}`
      return auditEvents.all(db, text, values)
    },
    purge: (before, limit) =>
      db.query(
        `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
         WHERE at < $1 ORDER BY id LIMIT $2)`,
        [before, limit],
        count,
      ),
    page: (after, limit) => auditEvents.page(db, 'id', after, limit),
  }
}
