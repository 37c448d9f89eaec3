import type Database from 'better-sqlite3'
import { guard } from './sqlite-errors.js'
import type { RevokedTokenStore } from './store.js'

/** The revoked machine tokens part of the SQLite store. */
export function sqliteRevokedTokens(db: Database.Database): RevokedTokenStore {
  const q = {
    add: db.prepare('INSERT OR IGNORE INTO revoked_tokens VALUES (?, ?)'),
    has: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM revoked_tokens WHERE jti = ?'),
    purge: db.prepare(`DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens
      WHERE expires_at < ? LIMIT ?)`),
    page: db.prepare<[string, number], { jti: string; expires_at: string }>(
      'SELECT * FROM revoked_tokens WHERE jti > ? ORDER BY jti LIMIT ?',
    ),
  }
  return {
    add: (jti, expiresAt) =>
      guard(() => {
        q.add.run(jti, expiresAt)
      }),
    has: (jti) => guard(() => q.has.get(jti) !== undefined),
    purge: (now, limit) => guard(() => q.purge.run(now, limit).changes),
    page: (afterJti, limit) =>
      guard(() =>
        q.page.all(afterJti ?? '', limit).map((r) => ({ jti: r.jti, expiresAt: r.expires_at })),
      ),
  }
}
