import { encodeRoles, newUserRecord } from './lists.js'
import type { PgDriver } from './pg-driver.js'
import { toUser, type UserRow } from './pg-rows.js'
import {
  type DeleteOutcome,
  UniqueViolationError,
  type UserRecord,
  type UserStore,
} from './store.js'

const columns = `id, username, email, email_canonical, full_name, password_hash, disabled, roles,
  created_at, updated_at`

// One statement for a whole batch: the rows arrive as one array per column, in batch order
// (WITH ORDINALITY), so an earlier row wins a conflict with a later one.
const importSql = `INSERT INTO users (${columns})
  SELECT id, username, email, email_canonical, full_name, password_hash, disabled, roles,
    created_at, updated_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::boolean[], $8::text[], $9::timestamptz[], $10::timestamptz[])
    WITH ORDINALITY AS b (id, username, email, email_canonical, full_name, password_hash,
      disabled, roles, created_at, updated_at, n)
  ORDER BY n
  ON CONFLICT DO NOTHING
  RETURNING id, username, email_canonical`

const values = (u: UserRecord) => [
  u.id,
  u.username,
  u.email,
  u.emailCanonical,
  u.fullName,
  u.passwordHash,
  u.disabled,
  encodeRoles(u.roles),
  u.createdAt,
  u.updatedAt,
]

/** Identifies a batch row by all three unique columns (see importMany). */
const keyOf = (id: string, username: string, email: string | null) =>
  JSON.stringify([id, username, email])

/** The users part of the PostgreSQL store. */
export function postgresUsers({ query, transaction }: PgDriver): UserStore {
  const one = async (where: string, value: string) => {
    const { rows } = await query<UserRow>(`SELECT ${columns} FROM users WHERE ${where} = $1`, [
      value,
    ])
    return rows[0] ? toUser(rows[0]) : null
  }
  const insert = (u: UserRecord) =>
    query(
      `INSERT INTO users (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      values(u),
    )
  const changed = async (sql: string, params: unknown[]) =>
    (await query(sql, params)).rowCount === 1

  return {
    async create(u) {
      const record = newUserRecord(u)
      try {
        await insert(record)
      } catch (error) {
        // A retried insert whose first attempt committed before the connection dropped.
        const existing = error instanceof UniqueViolationError ? await one('id', u.id) : null
        if (existing?.username !== u.username) throw error
      }
      return record
    },
    findById: (id) => one('id', id),
    findByUsername: (username) => one('username', username),
    findByEmail: (email) => one('email_canonical', email),
    replacePasswordHash: (id, expected, next, at) =>
      changed(
        'UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND password_hash = $4',
        [next, at, id, expected],
      ),
    setDisabled: (id, disabled, at) =>
      changed('UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3', [disabled, at, id]),
    setRoles: async (id, roles, at) =>
      changed('UPDATE users SET roles = $1, updated_at = $2 WHERE id = $3', [
        encodeRoles(roles),
        at,
        id,
      ]),
    delete: (id) => changed('DELETE FROM users WHERE id = $1', [id]),
    deleteUnlessLastHolder: (id, roles) =>
      transaction(async (client): Promise<DeleteOutcome> => {
        // One statement locks the user and every enabled holder, in id order (no deadlock
        // between two holders deleting themselves); the second then sees the first gone.
        const { rows } = await client.query<{ id: string; holds: boolean }>(
          `SELECT id, EXISTS (SELECT 1 FROM unnest($2::text[]) AS r
             WHERE strpos(' ' || roles || ' ', ' ' || r || ' ') > 0) AS holds
           FROM users
           WHERE id = $1 OR (disabled = false AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS r
             WHERE strpos(' ' || roles || ' ', ' ' || r || ' ') > 0))
           ORDER BY id FOR UPDATE`,
          [id, roles],
        )
        const user = rows.find((r) => r.id === id)
        if (!user) return 'missing'
        if (user.holds && !rows.some((r) => r.id !== id && r.holds)) return 'last_holder'
        await client.query('DELETE FROM users WHERE id = $1', [id])
        return 'deleted'
      }),
    async maxLegacyCost() {
      const { rows } = await query<{ cost: number | null }>(
        "SELECT max(substr(password_hash, 5, 2)::int) AS cost FROM users WHERE password_hash LIKE '$2%'",
      )
      return rows[0]?.cost ?? null
    },
    async anyEnabledWithRole(role) {
      // Roles are space-separated: pad both sides so "admin" does not match "superadmin".
      const { rows } = await query<{ found: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM users WHERE NOT disabled AND strpos(' ' || roles || ' ', ' ' || $1 || ' ') > 0) AS found",
        [role],
      )
      return rows[0]?.found === true
    },
    async search({ text, afterUsername, limit }) {
      // strpos, not LIKE: `%` and `_` in the search text are literal characters. COLLATE "C"
      // orders by bytes as SQLite does, served by the users_username_c index.
      const match = text ? 'AND (strpos(username, $3) > 0 OR strpos(email_canonical, $3) > 0)' : ''
      const params: unknown[] = [afterUsername ?? '', limit]
      if (text) params.push(text.toLowerCase())
      const { rows } = await query<UserRow>(
        `SELECT ${columns} FROM users WHERE username COLLATE "C" > $1 ${match}
         ORDER BY username COLLATE "C" LIMIT $2`,
        params,
      )
      return rows.map(toUser)
    },
    async importMany(users) {
      if (users.length === 0) return []
      const records = users.map((u) => values(newUserRecord(u)))
      const columnArrays = records[0]?.map((_, c) => records.map((r) => r[c])) ?? []
      const { rows } = await query<{ id: string; username: string; email_canonical: string }>(
        importSql,
        columnArrays,
      )
      // Rows returned carry no batch position. Two batch rows equal in id, username and email
      // conflict on id, and if the first is skipped for another row, the same row skips the
      // second too: so a returned key is always its first occurrence in the batch.
      const inserted = new Set(rows.map((r) => keyOf(r.id, r.username, r.email_canonical)))
      return users.map((u) => inserted.delete(keyOf(u.id, u.username, u.emailCanonical)))
    },
    page: async (afterId, limit) =>
      (
        await query<UserRow>(`SELECT ${columns} FROM users WHERE id > $1 ORDER BY id LIMIT $2`, [
          afterId ?? '',
          limit,
        ])
      ).rows.map(toUser),
    insertRecord: async (u) => {
      await insert(u)
    },
  }
}
