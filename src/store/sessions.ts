import { randomUUID } from 'node:crypto'
import { count, type Db, nothing, one, sql } from './sql.js'
import type { SecretStore, SessionStore } from './store.js'
import { refreshTokens, serverSecrets, sessions, users } from './tables.js'

const withUser = `SELECT s.*, ${users.aliased('u')} FROM sessions s
  JOIN users u ON u.id = s.user_id WHERE s.id = $1`
const revoke = 'UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL AND'
const revokeOne = `${revoke} id = $2`
const revokeForUser = `${revoke} user_id = $2 AND id IS DISTINCT FROM $3`
const revokeForClient = `${revoke} client_id = $2`
// `amr` is stored space-separated (table.ts): padded, a whole value matches as ` mfa `.
const singleFactor = "' ' || amr || ' ' NOT LIKE '% mfa %'"
const revokeSingleFactor = `${revokeForUser} AND ${singleFactor}`
/** Ends the provider logins (browser sessions) of user $2 at $1. */
export const endBrowserSessions =
  'UPDATE browser_sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL'
const endSingleFactorBrowserSessions = `${endBrowserSessions} AND ${singleFactor}`
const insertSecret = `${serverSecrets.insert} ON CONFLICT (name) DO NOTHING`

/** The sessions part of the store, over either engine. */
export function sessionsStore(db: Db): SessionStore {
  return {
    create: (s, firstTokenHash) =>
      db.transaction(function* () {
        yield* sql(sessions.insert, sessions.values(s))
        if (firstTokenHash === null) return
        yield* sql(refreshTokens.insert, [firstTokenHash, s.id, s.createdAt, null])
      }),
    findById: (id) => sessions.first(db, 'SELECT * FROM sessions WHERE id = $1', [id]),
    findWithUser: (id) =>
      db.query(withUser, [id], ({ rows: [row] }) =>
        row ? { session: sessions.decode(row), user: users.decode(row, 'u_') } : null,
      ),
    listForUser: (user) =>
      sessions.all(db, 'SELECT * FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id', [
        user,
      ]),
    revoke: (id, at) => db.query(revokeOne, [at, id], one),
    // Whatever ends a user's sessions (password change, disable) ends their provider login too,
    // else the next authorization request would sign them in again without a password. The
    // logins end first: on PostgreSQL that waits for a code exchange holding one of them (which
    // inserts a session), and the revocation's later statement then sees that session too.
    revokeAllForUser: (userId, at, exceptId) =>
      db.transaction(function* () {
        yield* sql(endBrowserSessions, [at, userId])
        const { count } = yield* sql(revokeForUser, [at, userId, exceptId])
        return count
      }),
    // As revokeAllForUser: the logins end first (a racing code exchange's session is then seen).
    revokeSingleFactorForUser: (userId, at, exceptId) =>
      db.transaction(function* () {
        yield* sql(endSingleFactorBrowserSessions, [at, userId])
        const { count } = yield* sql(revokeSingleFactor, [at, userId, exceptId])
        return count
      }),
    revokeAllForClient: (clientId, at) => db.query(revokeForClient, [at, clientId], count),
    findRefreshToken: (hash) =>
      refreshTokens.first(db, 'SELECT * FROM refresh_tokens WHERE hash = $1', [hash]),
    rotate(hash, next, at, idle) {
      // Identifies this call, drawn once before the first attempt: a retry of a transaction
      // whose COMMIT succeeded (PostgreSQL, reply lost) finds the token spent by itself, and
      // answers 'rotated' rather than 'spent' (which the caller would take for reuse).
      const attempt = randomUUID()
      return db.transaction(function* () {
        // Row lock on PostgreSQL: a concurrent spender waits, then sees spent_at set.
        const spent = yield* sql<{ session_id: string }>(
          `UPDATE refresh_tokens SET spent_at = $1, spent_by = $3
           WHERE hash = $2 AND spent_at IS NULL RETURNING session_id`,
          [at, hash, attempt],
        )
        const sessionId = spent.rows[0]?.session_id
        if (!sessionId) {
          const own = yield* sql('SELECT 1 FROM refresh_tokens WHERE hash = $1 AND spent_by = $2', [
            hash,
            attempt,
          ])
          return own.count === 1 ? 'rotated' : 'spent'
        }
        yield* sql(refreshTokens.insert, [next, sessionId, at, null])
        const touch = 'UPDATE sessions SET last_used_at = $1, idle_expires_at = $2 WHERE id = $3'
        yield* sql(touch, [at, idle, sessionId])
        return 'rotated'
      })
    },
    purge: (now, limit) =>
      db.query(
        `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
         WHERE revoked_at IS NOT NULL OR idle_expires_at < $1 OR absolute_expires_at < $1 LIMIT $2)`,
        [now, limit],
        count,
      ),
    page: (after, limit) => sessions.page(db, 'id', after, limit),
    insertRecord: (s) => db.query(sessions.insert, sessions.values(s), nothing),
    pageRefreshTokens: (after, limit) => refreshTokens.page(db, 'hash', after, limit),
    insertRefreshToken: (t) => db.query(refreshTokens.insert, refreshTokens.values(t), nothing),
  }
}

/** The shared secrets part of the store, over either engine. */
export function secretsStore(db: Db): SecretStore {
  return {
    async getOrCreate(name, candidate, at) {
      await db.query(insertSecret, [name, candidate, at])
      const select = 'SELECT * FROM server_secrets WHERE name = $1'
      return (await serverSecrets.first(db, select, [name]))?.value ?? candidate
    },
    list: () => serverSecrets.all(db, 'SELECT * FROM server_secrets ORDER BY name'),
    insert: (s) => db.query(serverSecrets.insert, serverSecrets.values(s), nothing),
  }
}
