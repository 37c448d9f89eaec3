import { count, type Db, nothing, sql } from './sql.js'
import type { AuthorizationCodeStore, CodeRedemption } from './store.js'
import { authorizationCodes, refreshTokens, sessions } from './tables.js'

// The conditional UPDATE is the single-use guard: on PostgreSQL it takes the code row's lock and
// re-checks `used_at IS NULL` on the latest version once a concurrent redeemer commits, so of
// concurrent redeemers exactly one spends it (SQLite runs one writer at a time). A code is dead
// from its expiry instant on.
const spend = `UPDATE authorization_codes SET used_at = $2, session_id = $3
  WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *`
const revokeSession = 'UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL'

/** The authorization-codes part of the store, over either engine. */
export function authorizationCodesStore(db: Db): AuthorizationCodeStore {
  // PostgreSQL: a loser holds the code row's lock while it revokes, so the revocation is ordered
  // after the redeemer's commit (which inserted the session) and after any other loser.
  const findLocked = `SELECT * FROM authorization_codes WHERE hash = $1${
    db.dialect === 'postgres' ? ' FOR UPDATE' : ''
  }`
  return {
    insert: (code) => db.query(authorizationCodes.insert, authorizationCodes.values(code), nothing),
    find: (hash) =>
      authorizationCodes.first(db, 'SELECT * FROM authorization_codes WHERE hash = $1', [hash]),
    redeem: (hash, at, session, firstTokenHash) =>
      db.transaction(function* () {
        const spent = yield* sql(spend, [hash, at, session.id])
        const row = spent.rows[0]
        if (row) {
          yield* sql(sessions.insert, sessions.values(session))
          if (firstTokenHash !== null) {
            yield* sql(refreshTokens.insert, [firstTokenHash, session.id, session.createdAt, null])
          }
          return { outcome: 'redeemed', code: authorizationCodes.decode(row) } as CodeRedemption
        }
        const found = (yield* sql(findLocked, [hash])).rows[0]
        if (!found) return { outcome: 'invalid' } as CodeRedemption
        const code = authorizationCodes.decode(found)
        // A retry of this very call whose COMMIT succeeded (PostgreSQL, reply lost): the session
        // id, fresh for each call, identifies it.
        if (code.sessionId === session.id) return { outcome: 'redeemed', code } as CodeRedemption
        if (code.usedAt === null) return { outcome: 'invalid' } as CodeRedemption
        // RFC 6749 §4.1.2: a second use revokes what the first one issued, even once the code
        // has expired (it is a sign the code leaked, whenever it comes).
        if (code.sessionId !== null) yield* sql(revokeSession, [at, code.sessionId])
        return { outcome: 'reused', code } as CodeRedemption
      }),
    purge: (now, limit) =>
      db.query(
        `DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes
         WHERE expires_at < $1 LIMIT $2)`,
        [now, limit],
        count,
      ),
    page: (after, limit) => authorizationCodes.page(db, 'hash', after, limit),
    insertRecord: (code) =>
      db.query(authorizationCodes.insert, authorizationCodes.values(code), nothing),
  }
}
