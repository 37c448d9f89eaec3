import { changes, type Db } from './sql.js'
import type { RevokedTokenStore } from './store.js'
import { revokedTokens } from './tables.js'

/** The revoked machine tokens part of the store, over either engine. */
export function revokedTokensStore(db: Db): RevokedTokenStore {
  return {
    add: async (jti, expiresAt) => {
      await db.query(`${revokedTokens.insert} ON CONFLICT (jti) DO NOTHING`, [jti, expiresAt])
    },
    has: async (jti) =>
      (await changes(db, 'SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])) === 1,
    purge: (now, limit) =>
      changes(
        db,
        `DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens
         WHERE expires_at < $1 LIMIT $2)`,
        [now, limit],
      ),
    page: (after, limit) => revokedTokens.page(db, 'jti', after, limit),
  }
}
