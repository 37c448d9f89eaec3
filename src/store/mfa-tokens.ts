import { count, type Db, nothing } from './sql.js'
import type { MfaTokenAttempt, MfaTokenStore } from './store.js'
import { mfaTokens } from './tables.js'

// Live: unspent, of the client, and strictly before its expiry instant.
const live = 'hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3'
// Each is one conditional UPDATE: on PostgreSQL it locks the row and re-checks `live` on its
// latest version, so of concurrent callers one accepts and no rejection counts past the limit.
const accept = `UPDATE mfa_tokens SET used_at = $3 WHERE ${live} RETURNING *`
const reject = `UPDATE mfa_tokens SET attempts = attempts + 1,
  used_at = CASE WHEN attempts + 1 >= $4 THEN $3 ELSE used_at END
  WHERE ${live} RETURNING used_at`

/** The MFA tokens part of the store, over either engine. */
export function mfaTokensStore(db: Db): MfaTokenStore {
  return {
    insert: (t) => db.query(mfaTokens.insert, mfaTokens.values(t), nothing),
    findLive: (hash, clientId, at) =>
      mfaTokens.first(db, `SELECT * FROM mfa_tokens WHERE ${live}`, [hash, clientId, at]),
    attempt: async (hash, clientId, factorOk, maxAttempts, at): Promise<MfaTokenAttempt> => {
      if (factorOk) {
        const token = await mfaTokens.first(db, accept, [hash, clientId, at])
        return token ? { outcome: 'accepted', token } : { outcome: 'invalid' }
      }
      const { rows } = await db.query<{ used_at: string | null }>(reject, [
        hash,
        clientId,
        at,
        maxAttempts,
      ])
      const row = rows[0]
      return row ? { outcome: 'rejected', spent: row.used_at !== null } : { outcome: 'invalid' }
    },
    purge: (now, limit) =>
      db.query(
        `DELETE FROM mfa_tokens WHERE hash IN (SELECT hash FROM mfa_tokens
         WHERE expires_at <= $1 OR used_at IS NOT NULL LIMIT $2)`,
        [now, limit],
        count,
      ),
  }
}
