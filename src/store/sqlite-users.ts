import type Database from 'better-sqlite3'
import { decodeList, encodeRoles, newUserRecord } from './lists.js'
import { guard } from './sqlite-errors.js'
import { toUser, type UserRow } from './sqlite-rows.js'
import type { NewUser, UserRecord, UserStore } from './store.js'

/** The users part of the SQLite store. */
export function sqliteUsers(db: Database.Database): UserStore {
  const columns = `id, username, email, email_canonical, full_name, password_hash, disabled, roles,
    created_at, updated_at`
  const values = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?'
  const q = {
    insert: db.prepare(`INSERT INTO users (${columns}) VALUES (${values})`),
    insertOrIgnore: db.prepare(`INSERT OR IGNORE INTO users (${columns}) VALUES (${values})`),
    byId: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    byName: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    byEmail: db.prepare<[string], UserRow>('SELECT * FROM users WHERE email_canonical = ?'),
    replaceHash: db.prepare(
      'UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?',
    ),
    setDisabled: db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?'),
    setRoles: db.prepare('UPDATE users SET roles = ?, updated_at = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM users WHERE id = ?'),
    otherHolder: db
      .prepare<[string, string], number>(
        `SELECT 1 FROM users WHERE id <> ? AND disabled = 0
         AND instr(' ' || roles || ' ', ' ' || ? || ' ') > 0 LIMIT 1`,
      )
      .pluck(),
    legacyCost: db
      .prepare<[], number | null>(
        "SELECT max(CAST(substr(password_hash, 5, 2) AS INTEGER)) FROM users WHERE password_hash LIKE '$2%'",
      )
      .pluck(),
    // instr, not LIKE: `%` and `_` in the search text are literal characters.
    search: db.prepare<[{ text: string; after: string; limit: number }], UserRow>(`SELECT *
      FROM users WHERE (instr(username, @text) > 0 OR instr(email_canonical, @text) > 0)
      AND username > @after ORDER BY username LIMIT @limit`),
    all: db.prepare<[string, number], UserRow>(
      'SELECT * FROM users WHERE username > ? ORDER BY username LIMIT ?',
    ),
    // Roles are space-separated: pad both sides so "admin" does not match "superadmin".
    anyEnabledWithRole: db
      .prepare<[string], number>(
        "SELECT EXISTS (SELECT 1 FROM users WHERE disabled = 0 AND instr(' ' || roles || ' ', ' ' || ? || ' ') > 0)",
      )
      .pluck(),
    page: db.prepare<[string, number], UserRow>(
      'SELECT * FROM users WHERE id > ? ORDER BY id LIMIT ?',
    ),
  }
  const row = (u: UserRecord) => [
    u.id,
    u.username,
    u.email,
    u.emailCanonical,
    u.fullName,
    u.passwordHash,
    u.disabled ? 1 : 0,
    encodeRoles(u.roles),
    u.createdAt,
    u.updatedAt,
  ]
  const one = (r: UserRow | undefined) => (r ? toUser(r) : null)
  const deleteUnlessLast = db.transaction((id: string, roles: readonly string[]) => {
    const user = q.byId.get(id)
    if (!user) return 'missing' as const
    const holds = decodeList(user.roles).some((role) => roles.includes(role))
    if (holds && !roles.some((role) => q.otherHolder.get(id, role) !== undefined)) {
      return 'last_holder' as const
    }
    q.delete.run(id)
    return 'deleted' as const
  })
  const importMany = db.transaction((users: NewUser[]) =>
    users.map((u) => q.insertOrIgnore.run(...row(newUserRecord(u))).changes === 1),
  )

  return {
    create: async (u) => {
      const record = newUserRecord(u)
      const values = row(record)
      return guard(() => {
        q.insert.run(...values)
        return record
      })
    },
    findById: (id) => guard(() => one(q.byId.get(id))),
    anyEnabledWithRole: (role) => guard(() => q.anyEnabledWithRole.get(role) === 1),
    findByUsername: (name) => guard(() => one(q.byName.get(name))),
    findByEmail: (email) => guard(() => one(q.byEmail.get(email))),
    replacePasswordHash: (id, expected, next, at) =>
      guard(() => q.replaceHash.run(next, at, id, expected).changes === 1),
    setDisabled: (id, disabled, at) =>
      guard(() => q.setDisabled.run(disabled ? 1 : 0, at, id).changes === 1),
    setRoles: async (id, roles, at) => {
      const text = encodeRoles(roles)
      return guard(() => q.setRoles.run(text, at, id).changes === 1)
    },
    delete: (id) => guard(() => q.delete.run(id).changes === 1),
    deleteUnlessLastHolder: (id, roles) => guard(() => deleteUnlessLast.immediate(id, roles)),
    maxLegacyCost: () => guard(() => q.legacyCost.get() ?? null),
    search: ({ text, afterUsername, limit }) =>
      guard(() => {
        const after = afterUsername ?? ''
        const rows = text
          ? q.search.all({ text: text.toLowerCase(), after, limit })
          : q.all.all(after, limit)
        return rows.map(toUser)
      }),
    importMany: async (users) => {
      // Checked outside guard, so a bad role rejects as RangeError, not as unavailability.
      for (const u of users) encodeRoles(u.roles ?? ['user'])
      return guard(() => importMany.immediate(users))
    },
    page: (afterId, limit) => guard(() => q.page.all(afterId ?? '', limit).map(toUser)),
    insertRecord: async (u) => {
      const values = row(u)
      return guard(() => {
        q.insert.run(...values)
      })
    },
  }
}
