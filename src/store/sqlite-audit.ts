import type Database from 'better-sqlite3'
import { auditListQuery, auditValues } from './audit-filter.js'
import { guard } from './sqlite-errors.js'
import { type AuditRow, toAudit } from './sqlite-rows.js'
import type { AuditStore } from './store.js'

/** The audit trail part of the SQLite store. */
export function sqliteAudit(db: Database.Database): AuditStore {
  const q = {
    insert: db.prepare('INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    purge: db.prepare(`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
      WHERE at < ? ORDER BY id LIMIT ?)`),
    page: db.prepare<[string, number], AuditRow>(
      'SELECT * FROM audit_events WHERE id > ? ORDER BY id LIMIT ?',
    ),
  }
  // One statement per combination of filters (at most 32), prepared on first use.
  const lists = new Map<string, Database.Statement<unknown[], AuditRow>>()
  const prepared = (sql: string) => {
    let statement = lists.get(sql)
    if (!statement) {
      statement = db.prepare<unknown[], AuditRow>(sql)
      lists.set(sql, statement)
    }
    return statement
  }
  return {
    insert: (r) =>
      guard(() => {
        q.insert.run(...auditValues(r))
      }),
    list: (filter) =>
      guard(() => {
        const { sql, values } = auditListQuery(filter, () => '?')
        return prepared(sql)
          .all(...values)
          .map(toAudit)
      }),
    purge: (before, limit) => guard(() => q.purge.run(before, limit).changes),
    page: (afterId, limit) => guard(() => q.page.all(afterId ?? '', limit).map(toAudit)),
  }
}
