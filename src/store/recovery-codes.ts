import { type Db, nothing, one, sql } from './sql.js'
import type { RecoveryCodeStore } from './store.js'
import { recoveryCodes } from './tables.js'

// The conditional UPDATE is the single-use guard: on PostgreSQL it locks the row and re-checks
// used_at on its latest version, so of concurrent spenders exactly one succeeds.
const spend = `UPDATE recovery_codes SET used_at = $3
  WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`

/** The recovery codes part of the store, over either engine. */
export function recoveryCodesStore(db: Db): RecoveryCodeStore {
  return {
    replace: (userId, hashes, at) =>
      db.transaction(function* () {
        yield* sql('DELETE FROM recovery_codes WHERE user_id = $1', [userId])
        for (const hash of hashes) {
          yield* sql(recoveryCodes.insert, [hash, userId, at, null])
        }
      }),
    spend: (userId, hash, at) => db.query(spend, [userId, hash, at], one),
    remaining: (userId) =>
      db.query(
        'SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
        [userId],
        ({ rows }) => Number(rows[0]?.n ?? 0),
      ),
    page: (after, limit) => recoveryCodes.page(db, 'hash', after, limit),
    insertRecord: (c) => db.query(recoveryCodes.insert, recoveryCodes.values(c), nothing),
  }
}
