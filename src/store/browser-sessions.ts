import { count, type Db, nothing, one, sql } from './sql.js'
import type { BrowserSessionStore } from './store.js'
import { browserSessions, users } from './tables.js'

const withUser = `SELECT b.*, ${users.aliased('u')} FROM browser_sessions b
  JOIN users u ON u.id = b.user_id WHERE b.secret_hash = $1`
// The idle expiry never moves past the absolute one (ISO-8601 text compares in time order on
// SQLite; timestamps on PostgreSQL).
const touch = `UPDATE browser_sessions SET last_seen_at = $2, idle_expires_at = CASE
  WHEN $3 < absolute_expires_at THEN $3 ELSE absolute_expires_at END WHERE id = $1`
const endOne = 'UPDATE browser_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL'
const revokeStarted = `UPDATE sessions SET revoked_at = $2
  WHERE browser_session_id = $1 AND revoked_at IS NULL`

/** The browser-sessions part of the store, over either engine. */
export function browserSessionsStore(db: Db): BrowserSessionStore {
  return {
    create: (s) => db.query(browserSessions.insert, browserSessions.values(s), nothing),
    findBySecret: (secretHash) =>
      db.query(withUser, [secretHash], ({ rows: [row] }) =>
        row ? { session: browserSessions.decode(row), user: users.decode(row, 'u_') } : null,
      ),
    findById: (id) =>
      browserSessions.first(db, 'SELECT * FROM browser_sessions WHERE id = $1', [id]),
    touch: (id, lastSeenAt, idleExpiresAt) => db.query(touch, [id, lastSeenAt, idleExpiresAt], one),
    end: (id, at) =>
      db.transaction(function* () {
        const ended = yield* sql(endOne, [id, at])
        // Also when it had ended already: a token session started from it since (a code
        // approved before the logout, redeemed after) must not outlive it.
        yield* sql(revokeStarted, [id, at])
        return ended.count === 1
      }),
    purge: (now, limit) =>
      db.query(
        `DELETE FROM browser_sessions WHERE id IN (SELECT id FROM browser_sessions
         WHERE ended_at < $1 OR idle_expires_at < $1 OR absolute_expires_at < $1 LIMIT $2)`,
        [now, limit],
        count,
      ),
    page: (after, limit) => browserSessions.page(db, 'id', after, limit),
    insertRecord: (s) => db.query(browserSessions.insert, browserSessions.values(s), nothing),
  }
}
