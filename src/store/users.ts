import { type Body, type Db, one, sql } from './sql.js'
import { type DeleteOutcome, UniqueViolationError, type UserStore } from './store.js'
import { decodeList, encodeRoles } from './table.js'
import { newUserRecord, users } from './tables.js'

/** The statements whose SQL differs between the dialects (function names, locks, collation). */
function dialectSql(pg: boolean) {
  // instr/strpos, not LIKE: `%` and `_` in the searched text are literal characters.
  const has = (text: string, part: string) => `${pg ? 'strpos' : 'instr'}(${text}, ${part}) > 0`
  // Roles are space-separated: both sides are padded so "admin" does not match "superadmin".
  const holds = (role: string) => has(`' ' || roles || ' '`, `' ' || ${role} || ' '`)
  const roles = pg ? 'jsonb_array_elements_text(CAST($2 AS jsonb)) AS r(value)' : 'json_each($2) r'
  // On PostgreSQL, COLLATE "C" orders by bytes as SQLite does (the users_username_c index).
  const username = pg ? 'username COLLATE "C"' : 'username'
  return {
    anyEnabled: `SELECT EXISTS (SELECT 1 FROM users WHERE NOT disabled AND ${holds('$1')}) AS found`,
    // The user and every enabled holder of one of the roles ($2, a JSON array). PostgreSQL locks
    // them in id order (no deadlock between two holders deleting themselves), so the second
    // sees the first gone; on SQLite, BEGIN IMMEDIATE already runs one writer at a time.
    holders: `SELECT id, roles FROM users WHERE id = $1 OR (NOT disabled
      AND EXISTS (SELECT 1 FROM ${roles} WHERE ${holds('r.value')})) ${pg ? 'ORDER BY id FOR UPDATE' : ''}`,
    search: `SELECT * FROM users WHERE ${username} > $1
      AND (CAST($3 AS TEXT) IS NULL OR ${has('username', '$3')} OR ${has('email_canonical', '$3')})
      ORDER BY ${username} LIMIT $2`,
  }
}

/** Identifies a batch row by all three unique columns (see importMany). */
const keyOf = (id: string, username: string, email: string | null) =>
  JSON.stringify([id, username, email])

/** The users part of the store, over either engine. */
export function usersStore(db: Db): UserStore {
  const q = dialectSql(db.dialect === 'postgres')
  // Texts built once: each call then finds its prepared statement by the same string.
  const by = (c: string) => [c, `SELECT * FROM users WHERE ${c} = $1`]
  const texts = Object.fromEntries(['id', 'username', 'email_canonical'].map(by))
  const find = (column: string, value: string) => users.first(db, texts[column] as string, [value])
  const insertIgnoring = `${users.insert} ON CONFLICT DO NOTHING`
  const changed = (text: string, values: unknown[]) => db.query(text, values, one)
  const insert = (values: unknown[]) => db.query(users.insert, values)

  return {
    async create(u) {
      const record = newUserRecord(u)
      try {
        await insert(users.values(record))
      } catch (error) {
        // A retried insert whose first attempt committed before the connection dropped.
        if (!db.retriesCommitted || !(error instanceof UniqueViolationError)) throw error
        if ((await find('id', u.id))?.username !== u.username) throw error
      }
      return record
    },
    findById: (id) => find('id', id),
    findByUsername: (username) => find('username', username),
    findByEmail: (email) => find('email_canonical', email),
    replacePasswordHash: (id, expected, next, at) =>
      changed(
        'UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND password_hash = $4',
        [next, at, id, expected],
      ),
    setDisabled: (id, disabled, at) =>
      changed('UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3', [disabled, at, id]),
    setEmailVerified: (id, verified, at) =>
      changed('UPDATE users SET email_verified = $1, updated_at = $2 WHERE id = $3', [
        verified,
        at,
        id,
      ]),
    setRoles: async (id, roles, at) =>
      changed('UPDATE users SET roles = $1, updated_at = $2 WHERE id = $3', [
        encodeRoles(roles),
        at,
        id,
      ]),
    delete: (id) => changed('DELETE FROM users WHERE id = $1', [id]),
    deleteUnlessLastHolder: (id, roles) =>
      db.transaction(function* (): Body<DeleteOutcome> {
        const { rows } = yield* sql<{ id: string; roles: string }>(q.holders, [
          id,
          JSON.stringify(roles),
        ])
        const holding = (r: { roles: string }) => decodeList(r.roles).some((x) => roles.includes(x))
        const user = rows.find((r) => r.id === id)
        if (!user) return 'missing'
        if (holding(user) && !rows.some((r) => r.id !== id && holding(r))) return 'last_holder'
        yield* sql('DELETE FROM users WHERE id = $1', [id])
        return 'deleted'
      }),
    async maxLegacyCost() {
      const { rows } = await db.query<{ cost: number | null }>(
        `SELECT max(CAST(substr(password_hash, 5, 2) AS INTEGER)) AS cost FROM users
         WHERE password_hash LIKE '$2%'`,
      )
      return rows[0]?.cost ?? null
    },
    anyEnabledWithRole: (role) =>
      db.query(q.anyEnabled, [role], ({ rows }) => rows[0]?.found === 1),
    search: ({ text, afterUsername, limit }) =>
      users.all(db, q.search, [afterUsername ?? '', limit, text?.toLowerCase() || null]),
    async importMany(batch) {
      // Encoded before the transaction, so a bad role rejects as RangeError, not as unavailability.
      const rows = batch.map((u) => users.values(newUserRecord(u)))
      if (db.dialect === 'sqlite') {
        return db.transaction(function* () {
          const done: boolean[] = []
          for (const values of rows) {
            done.push((yield* sql(insertIgnoring, values)).count === 1)
          }
          return done
        })
      }
      if (rows.length === 0) return []
      // PostgreSQL: one statement for the batch, one array per column, in batch order.
      const { rows: inserted } = await db.query<{
        id: string
        username: string
        email_canonical: string
      }>(
        `INSERT INTO users (${users.columns}) SELECT ${users.columns}
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::boolean[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::boolean[])
           WITH ORDINALITY AS b (id, username, email, email_canonical, full_name, password_hash,
             disabled, roles, created_at, updated_at, email_verified, n)
         ORDER BY n ON CONFLICT DO NOTHING RETURNING id, username, email_canonical`,
        (rows[0] ?? []).map((_, c) => rows.map((r) => r[c])),
      )
      // Rows returned carry no batch position. Two batch rows equal in id, username and email
      // conflict on id, and if the first is skipped for another row, the same row skips the
      // second too: so a returned key is always its first occurrence in the batch.
      const keys = new Set(inserted.map((r) => keyOf(r.id, r.username, r.email_canonical)))
      return batch.map((u) => keys.delete(keyOf(u.id, u.username, u.emailCanonical)))
    },
    page: (after, limit) => users.page(db, 'id', after, limit),
    insertRecord: async (u) => {
      await insert(users.values(u))
    },
  }
}
