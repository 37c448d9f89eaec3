import type Database from 'better-sqlite3'
import { type Prefixed, sessionValues, unprefix, userColumns } from './joined-rows.js'
import { guard } from './sqlite-errors.js'
import {
  type SessionRow,
  type TokenRow,
  toSession,
  toToken,
  toUser,
  type UserRow,
} from './sqlite-rows.js'
import type { SecretStore, SessionRecord, SessionStore } from './store.js'

/** The sessions part of the SQLite store. */
export function sqliteSessions(db: Database.Database): SessionStore {
  const q = {
    insert: db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    insertToken: db.prepare(
      'INSERT INTO refresh_tokens (hash, session_id, created_at, spent_at) VALUES (?, ?, ?, ?)',
    ),
    byId: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    withUser: db.prepare<[string], SessionRow & Prefixed<UserRow>>(
      `SELECT s.*, ${userColumns} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
    ),
    forUser: db.prepare<[string], SessionRow>(
      'SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id',
    ),
    revoke: db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    revokeAll: db.prepare(`UPDATE sessions SET revoked_at = ?
      WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?`),
    revokeForClient: db.prepare(
      'UPDATE sessions SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL',
    ),
    token: db.prepare<[string], TokenRow>('SELECT * FROM refresh_tokens WHERE hash = ?'),
    spend: db.prepare('UPDATE refresh_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL'),
    tokenSession: db.prepare<[string], { session_id: string }>(
      'SELECT session_id FROM refresh_tokens WHERE hash = ?',
    ),
    touch: db.prepare('UPDATE sessions SET last_used_at = ?, idle_expires_at = ? WHERE id = ?'),
    purge: db.prepare(`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
      WHERE revoked_at IS NOT NULL OR idle_expires_at < ? OR absolute_expires_at < ? LIMIT ?)`),
    page: db.prepare<[string, number], SessionRow>(
      'SELECT * FROM sessions WHERE id > ? ORDER BY id LIMIT ?',
    ),
    pageTokens: db.prepare<[string, number], TokenRow>(
      'SELECT * FROM refresh_tokens WHERE hash > ? ORDER BY hash LIMIT ?',
    ),
  }
  const rotate = db.transaction((hash: string, next: string, at: string, idle: string) => {
    if (q.spend.run(at, hash).changes !== 1) return 'spent' as const
    const owner = q.tokenSession.get(hash)
    if (!owner) return 'spent' as const
    q.insertToken.run(next, owner.session_id, at, null)
    q.touch.run(at, idle, owner.session_id)
    return 'rotated' as const
  })
  const create = db.transaction((s: SessionRecord, firstTokenHash: string | null) => {
    q.insert.run(...sessionValues(s))
    if (firstTokenHash !== null) q.insertToken.run(firstTokenHash, s.id, s.createdAt, null)
  })
  return {
    create: (s, firstTokenHash) => guard(() => create(s, firstTokenHash)),
    findById: (id) =>
      guard(() => {
        const row = q.byId.get(id)
        return row ? toSession(row) : null
      }),
    findWithUser: (id) =>
      guard(() => {
        const row = q.withUser.get(id)
        return row ? { session: toSession(row), user: toUser(unprefix(row)) } : null
      }),
    listForUser: (userId) => guard(() => q.forUser.all(userId).map(toSession)),
    revoke: (id, at) => guard(() => q.revoke.run(at, id).changes === 1),
    revokeAllForUser: (userId, at, exceptId) =>
      guard(() => q.revokeAll.run(at, userId, exceptId).changes),
    revokeAllForClient: (clientId, at) => guard(() => q.revokeForClient.run(at, clientId).changes),
    findRefreshToken: (hash) =>
      guard(() => {
        const row = q.token.get(hash)
        return row ? toToken(row) : null
      }),
    rotate: (hash, next, at, idle) => guard(() => rotate.immediate(hash, next, at, idle)),
    purge: (now, limit) => guard(() => q.purge.run(now, now, limit).changes),
    page: (afterId, limit) => guard(() => q.page.all(afterId ?? '', limit).map(toSession)),
    insertRecord: (s) =>
      guard(() => {
        q.insert.run(...sessionValues(s))
      }),
    pageRefreshTokens: (afterHash, limit) =>
      guard(() => q.pageTokens.all(afterHash ?? '', limit).map(toToken)),
    insertRefreshToken: (t) =>
      guard(() => {
        q.insertToken.run(t.hash, t.sessionId, t.createdAt, t.spentAt)
      }),
  }
}

/** The shared secrets part of the SQLite store. */
export function sqliteSecrets(db: Database.Database): SecretStore {
  const insertIgnore = db.prepare('INSERT OR IGNORE INTO server_secrets VALUES (?, ?, ?)')
  const insert = db.prepare('INSERT INTO server_secrets VALUES (?, ?, ?)')
  const get = db.prepare<[string], { value: string }>(
    'SELECT value FROM server_secrets WHERE name = ?',
  )
  const all = db.prepare<[], { name: string; value: string; created_at: string }>(
    'SELECT * FROM server_secrets ORDER BY name',
  )
  return {
    getOrCreate: (name, candidate, at) =>
      guard(() => {
        insertIgnore.run(name, candidate, at)
        return get.get(name)?.value ?? candidate
      }),
    list: () =>
      guard(() =>
        all.all().map((r) => ({ name: r.name, value: r.value, createdAt: r.created_at })),
      ),
    insert: (s) =>
      guard(() => {
        insert.run(s.name, s.value, s.createdAt)
      }),
  }
}
