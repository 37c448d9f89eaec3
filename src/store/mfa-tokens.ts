import { count, type Db, nothing } from './sql.js'
import type { MfaTokenStore } from './store.js'
import { mfaTokens } from './tables.js'

// Live: unspent, of the client, and strictly before its expiry instant.
const live = 'hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3'
// Each is one conditional UPDATE: on PostgreSQL it locks the row and re-checks its WHERE on the
// latest version, so concurrent reservations never count past the limit and of concurrent
// spenders one gets the token.
const reserve = `UPDATE mfa_tokens SET attempts = attempts + 1
  WHERE ${live} AND attempts < $4 RETURNING *`
const spend = `UPDATE mfa_tokens SET used_at = $3
  WHERE hash = $1 AND client_id = $2 AND used_at IS NULL RETURNING *`
// Ending moves the expiry back to now; used_at stays for a right factor already reserved.
const end = `UPDATE mfa_tokens SET expires_at = $3
  WHERE ${live}`

/** The MFA tokens part of the store, over either engine. */
export function mfaTokensStore(db: Db): MfaTokenStore {
  return {
    insert: (t) => db.query(mfaTokens.insert, mfaTokens.values(t), nothing),
    findLive: (hash, clientId, at) =>
      mfaTokens.first(db, `SELECT * FROM mfa_tokens WHERE ${live}`, [hash, clientId, at]),
    reserveAttempt: (hash, clientId, maxAttempts, at) =>
      mfaTokens.first(db, reserve, [hash, clientId, at, maxAttempts]),
    spend: (hash, clientId, at) => mfaTokens.first(db, spend, [hash, clientId, at]),
    end: (hash, clientId, at) => db.query(end, [hash, clientId, at], nothing),
    purge: (now, limit) =>
      db.query(
        `DELETE FROM mfa_tokens WHERE hash IN (SELECT hash FROM mfa_tokens
         WHERE expires_at <= $1 OR used_at IS NOT NULL LIMIT $2)`,
        [now, limit],
        count,
      ),
  }
}
