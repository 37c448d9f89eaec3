import { auditListQuery, auditValues } from './audit-filter.js'
import type { PgDriver } from './pg-driver.js'
import { type AuditRow, toAudit } from './pg-rows.js'
import type { AuditStore } from './store.js'

/** The audit trail part of the PostgreSQL store. */
export function postgresAudit({ query }: PgDriver): AuditStore {
  return {
    async insert(r) {
      await query(
        'INSERT INTO audit_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        auditValues(r),
      )
    },
    async list(filter) {
      const { sql, values } = auditListQuery(filter, (n) => `$${n}`)
      return (await query<AuditRow>(sql, values)).rows.map(toAudit)
    },
    purge: async (before, limit) =>
      (
        await query(
          `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
           WHERE at < $1 ORDER BY id LIMIT $2)`,
          [before, limit],
        )
      ).rowCount ?? 0,
    page: async (afterId, limit) =>
      (
        await query<AuditRow>('SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2', [
          afterId ?? '',
          limit,
        ])
      ).rows.map(toAudit),
  }
}
