import type { PgDriver } from './pg-driver.js'
import type { RevokedTokenStore } from './store.js'

/** The revoked machine tokens part of the PostgreSQL store. */
export function postgresRevokedTokens({ query }: PgDriver): RevokedTokenStore {
  return {
    async add(jti, expiresAt) {
      await query('INSERT INTO revoked_tokens VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING', [
        jti,
        expiresAt,
      ])
    },
    has: async (jti) =>
      (await query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])).rowCount === 1,
    purge: async (now, limit) =>
      (
        await query(
          `DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens
           WHERE expires_at < $1 LIMIT $2)`,
          [now, limit],
        )
      ).rowCount ?? 0,
    page: async (afterJti, limit) =>
      (
        await query<{ jti: string; expires_at: Date }>(
          'SELECT * FROM revoked_tokens WHERE jti > $1 ORDER BY jti LIMIT $2',
          [afterJti ?? '', limit],
        )
      ).rows.map((r) => ({ jti: r.jti, expiresAt: r.expires_at.toISOString() })),
  }
}
