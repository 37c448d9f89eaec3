import { randomUUID } from 'node:crypto'
import { type Prefixed, sessionValues, unprefix, userColumns } from './joined-rows.js'
import type { PgDriver } from './pg-driver.js'
import {
  type SessionRow,
  type TokenRow,
  toSession,
  toToken,
  toUser,
  type UserRow,
} from './pg-rows.js'
import type { SecretStore, SessionStore } from './store.js'

const insertSession = 'INSERT INTO sessions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)'
const insertToken =
  'INSERT INTO refresh_tokens (hash, session_id, created_at, spent_at) VALUES ($1, $2, $3, $4)'
/** The sessions part of the PostgreSQL store. */
export function postgresSessions({ query, transaction }: PgDriver): SessionStore {
  return {
    create: (s, firstTokenHash) =>
      transaction(async (client) => {
        await client.query(insertSession, sessionValues(s))
        if (firstTokenHash === null) return
        await client.query(insertToken, [firstTokenHash, s.id, s.createdAt, null])
      }),
    async findById(id) {
      const { rows } = await query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id])
      return rows[0] ? toSession(rows[0]) : null
    },
    async findWithUser(id) {
      const { rows } = await query<SessionRow & Prefixed<UserRow>>(
        `SELECT s.*, ${userColumns} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
        [id],
      )
      const row = rows[0]
      return row ? { session: toSession(row), user: toUser(unprefix(row)) } : null
    },
    listForUser: async (userId) =>
      (
        await query<SessionRow>(
          'SELECT * FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id',
          [userId],
        )
      ).rows.map(toSession),
    revoke: async (id, at) =>
      (
        await query('UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
          at,
          id,
        ])
      ).rowCount === 1,
    revokeAllForUser: async (userId, at, exceptId) =>
      (
        await query(
          `UPDATE sessions SET revoked_at = $1
           WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3`,
          [at, userId, exceptId],
        )
      ).rowCount ?? 0,
    revokeAllForClient: async (clientId, at) =>
      (
        await query(
          'UPDATE sessions SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL',
          [at, clientId],
        )
      ).rowCount ?? 0,
    async findRefreshToken(hash) {
      const { rows } = await query<TokenRow>('SELECT * FROM refresh_tokens WHERE hash = $1', [hash])
      return rows[0] ? toToken(rows[0]) : null
    },
    rotate: (hash, next, at, idle) => {
      // The driver retries a whole transaction after a connection error, even one that struck
      // after COMMIT succeeded. This id, drawn once before the first attempt, lets such a retry
      // recognise the token as spent by itself (rotated) rather than by another caller (reuse).
      const attempt = randomUUID()
      return transaction(async (client) => {
        // Row lock: a concurrent spender waits, then sees spent_at set and matches nothing.
        const spent = await client.query<{ session_id: string }>(
          `UPDATE refresh_tokens SET spent_at = $1, spent_by = $3 WHERE hash = $2 AND spent_at IS NULL
           RETURNING session_id`,
          [at, hash, attempt],
        )
        const sessionId = spent.rows[0]?.session_id
        if (!sessionId) {
          const own = await client.query(
            'SELECT 1 FROM refresh_tokens WHERE hash = $1 AND spent_by = $2',
            [hash, attempt],
          )
          return own.rowCount === 1 ? ('rotated' as const) : ('spent' as const)
        }
        await client.query(insertToken, [next, sessionId, at, null])
        await client.query(
          'UPDATE sessions SET last_used_at = $1, idle_expires_at = $2 WHERE id = $3',
          [at, idle, sessionId],
        )
        return 'rotated' as const
      })
    },
    purge: async (now, limit) =>
      (
        await query(
          `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
           WHERE revoked_at IS NOT NULL OR idle_expires_at < $1 OR absolute_expires_at < $1 LIMIT $2)`,
          [now, limit],
        )
      ).rowCount ?? 0,
    page: async (afterId, limit) =>
      (
        await query<SessionRow>('SELECT * FROM sessions WHERE id > $1 ORDER BY id LIMIT $2', [
          afterId ?? '',
          limit,
        ])
      ).rows.map(toSession),
    insertRecord: async (s) => {
      await query(insertSession, sessionValues(s))
    },
    pageRefreshTokens: async (afterHash, limit) =>
      (
        await query<TokenRow>(
          'SELECT * FROM refresh_tokens WHERE hash > $1 ORDER BY hash LIMIT $2',
          [afterHash ?? '', limit],
        )
      ).rows.map(toToken),
    insertRefreshToken: async (t) => {
      await query(insertToken, [t.hash, t.sessionId, t.createdAt, t.spentAt])
    },
  }
}

/** The shared secrets part of the PostgreSQL store. */
export function postgresSecrets({ query }: PgDriver): SecretStore {
  return {
    async getOrCreate(name, candidate, at) {
      await query('INSERT INTO server_secrets VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
        name,
        candidate,
        at,
      ])
      const { rows } = await query<{ value: string }>(
        'SELECT value FROM server_secrets WHERE name = $1',
        [name],
      )
      return rows[0]?.value ?? candidate
    },
    list: async () =>
      (
        await query<{ name: string; value: string; created_at: Date }>(
          'SELECT * FROM server_secrets ORDER BY name',
        )
      ).rows.map((r) => ({ name: r.name, value: r.value, createdAt: r.created_at.toISOString() })),
    insert: async (s) => {
      await query('INSERT INTO server_secrets VALUES ($1, $2, $3)', [s.name, s.value, s.createdAt])
    },
  }
}
