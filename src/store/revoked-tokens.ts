import { count, type Db, nothing, one } from './sql.js'
import type { RevokedTokenStore } from './store.js'
import { revokedTokens } from './tables.js'

const add = `${revokedTokens.insert} ON CONFLICT (jti) DO NOTHING`

/** The revoked machine tokens part of the store, over either engine. */
export function revokedTokensStore(db: Db): RevokedTokenStore {
  return {
    add: (jti, expiresAt) => db.query(add, [jti, expiresAt], nothing),
    has: (jti) => db.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti], one),
    purge: (now, limit) =>
      db.query(
        `DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens
         WHERE expires_at < $1 LIMIT $2)`,
        [now, limit],
        count,
      ),
    page: (after, limit) => revokedTokens.page(db, 'jti', after, limit),
  }
}
