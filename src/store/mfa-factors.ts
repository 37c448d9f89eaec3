import { type Db, nothing, one, sql } from './sql.js'
import type { MfaFactorStore } from './store.js'
import { mfaFactors } from './tables.js'

const mine = 'id = $1 AND user_id = $2'
// A pending TOTP enrollment is replaced by a new one; a confirmed one is kept (the partial
// unique index on user_id for kind 'totp' then refuses the insert).
const dropPendingTotp = `DELETE FROM mfa_factors
  WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NULL`
// The conditional UPDATE is the replay guard (RFC 6238 §5.2): on PostgreSQL it locks the row
// and re-checks last_step on its latest version, so of concurrent callers with one step at
// most one succeeds; SQLite runs one writer at a time.
const acceptStep = `UPDATE mfa_factors SET last_step = $2, last_used_at = $3
  WHERE id = $1 AND kind = 'totp' AND confirmed_at IS NOT NULL
  AND (last_step IS NULL OR last_step < $2)`
const recordAssertion = `UPDATE mfa_factors SET sign_count = $3, backed_up = $4, last_used_at = $5
  WHERE id = $1 AND kind = 'passkey' AND sign_count = $2`

/** The second factors part of the store, over either engine. */
export function mfaFactorsStore(db: Db): MfaFactorStore {
  return {
    insert: (f) =>
      db.transaction(function* () {
        if (f.kind === 'totp') yield* sql(dropPendingTotp, [f.userId])
        yield* sql(mfaFactors.insert, mfaFactors.values(f))
      }),
    findById: (id) => mfaFactors.first(db, 'SELECT * FROM mfa_factors WHERE id = $1', [id]),
    findByCredentialId: (credentialId) =>
      mfaFactors.first(db, 'SELECT * FROM mfa_factors WHERE credential_id = $1', [credentialId]),
    listForUser: (userId) =>
      mfaFactors.all(db, 'SELECT * FROM mfa_factors WHERE user_id = $1 ORDER BY created_at, id', [
        userId,
      ]),
    confirm: (id, userId, at) =>
      db.query(
        `UPDATE mfa_factors SET confirmed_at = $3 WHERE ${mine} AND confirmed_at IS NULL`,
        [id, userId, at],
        one,
      ),
    acceptStep: (id, step, at) => db.query(acceptStep, [id, step, at], one),
    recordAssertion: (id, expected, next, at) =>
      db.query(recordAssertion, [id, expected, next.signCount, next.backedUp, at], one),
    rename: (id, userId, name) =>
      db.query(`UPDATE mfa_factors SET name = $3 WHERE ${mine}`, [id, userId, name], one),
    delete: (id, userId) =>
      db.transaction(function* () {
        const { count } = yield* sql(`DELETE FROM mfa_factors WHERE ${mine}`, [id, userId])
        if (count === 0) return false
        // Recovery codes back up a second factor: with the last confirmed one gone, so are they.
        const { rows } = yield* sql(
          'SELECT 1 FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL',
          [userId],
        )
        if (rows.length === 0) yield* sql('DELETE FROM recovery_codes WHERE user_id = $1', [userId])
        return true
      }),
    deleteAllForUser: (userId) =>
      db.transaction(function* () {
        yield* sql('DELETE FROM recovery_codes WHERE user_id = $1', [userId])
        return (yield* sql('DELETE FROM mfa_factors WHERE user_id = $1', [userId])).count
      }),
    page: (after, limit) => mfaFactors.page(db, 'id', after, limit),
    insertRecord: (f) => db.query(mfaFactors.insert, mfaFactors.values(f), nothing),
  }
}
