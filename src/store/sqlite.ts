import Database from 'better-sqlite3'
import { counterStore } from './counters.js'
import { createPrivately, tightenCreated } from './file-modes.js'
import { sqliteMigrations } from './migrations/sqlite.js'
import { sqliteAudit } from './sqlite-audit.js'
import { sqliteClients } from './sqlite-clients.js'
import { guard } from './sqlite-errors.js'
import { sqliteRevokedTokens } from './sqlite-revoked-tokens.js'
import { type KeyRow, toKey } from './sqlite-rows.js'
import { sqliteSecrets, sqliteSessions } from './sqlite-sessions.js'
import { sqliteUsers } from './sqlite-users.js'
import {
  type SecretChange,
  type SigningKeyRecord,
  type Store,
  type TableName,
  tableNames,
} from './store.js'

/**
 * Opens the embedded SQLite store (WAL mode). `path` is a file path or ':memory:'. A new
 * database is created private to the server's user: its directory 0700, its files 0600.
 * better-sqlite3 is synchronous; each call is one short indexed statement, so it does not
 * hold the event loop long enough to matter (measured in `npm run bench`).
 */
export function openSqliteStore(path: string): Store {
  const created = path !== ':memory:' && createPrivately(path)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')

  const migrate = (): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
    const applied = new Set(
      db
        .prepare('SELECT version FROM schema_migrations')
        .pluck()
        .all()
        .map((v) => Number(v)),
    )
    const done: number[] = []
    for (const m of sqliteMigrations) {
      if (applied.has(m.version)) continue
      db.transaction(() => {
        db.exec(m.sql)
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        )
      }).immediate()
      done.push(m.version)
    }
    return done
  }
  const appliedAtOpen = migrate()
  if (created) tightenCreated(path)

  const q = {
    keys: db.prepare<[], KeyRow>(
      'SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC, kid',
    ),
    insertKey: db.prepare(`INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at,
      retired_at, activates_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    insertKeyUnless: db.prepare(`INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk,
      created_at, retired_at, activates_at) SELECT ?, ?, ?, ?, ?, NULL, ?
      WHERE NOT EXISTS (SELECT 1 FROM signing_keys
        WHERE alg = ? AND retired_at IS NULL AND activates_at >= ?)`),
    revokeKey: db.prepare(
      'UPDATE signing_keys SET retired_at = ?, private_jwk = NULL WHERE kid = ? AND retired_at IS NULL',
    ),
    replaceKey: db.prepare(
      'UPDATE signing_keys SET private_jwk = ? WHERE kid = ? AND private_jwk = ?',
    ),
    replaceSecret: db.prepare('UPDATE server_secrets SET value = ? WHERE name = ? AND value = ?'),
  }
  const insertKey = (k: SigningKeyRecord) =>
    q.insertKey.run(
      k.kid,
      k.alg,
      k.publicJwk,
      k.privateJwk,
      k.createdAt,
      k.retiredAt,
      k.activatesAt,
    )
  const revoke = db.transaction((kid: string, at: string, successor: SigningKeyRecord | null) => {
    if (q.revokeKey.run(at, kid).changes !== 1) return false
    if (successor) insertKey(successor)
    return true
  })
  const replaceSecrets = db.transaction((changes: SecretChange[]) => {
    let changed = 0
    for (const c of changes) {
      const statement = c.table === 'signing_keys' ? q.replaceKey : q.replaceSecret
      changed += statement.run(c.next, c.id, c.expected).changes
    }
    return changed
  })

  return {
    engine: 'sqlite',
    users: sqliteUsers(db),
    signingKeys: {
      list: () => guard(() => q.keys.all().map(toKey)),
      insert: (k: SigningKeyRecord) =>
        guard(() => {
          insertKey(k)
        }),
      insertIfNoneSince: (k: SigningKeyRecord, since: string) =>
        guard(
          () =>
            q.insertKeyUnless.run(
              k.kid,
              k.alg,
              k.publicJwk,
              k.privateJwk,
              k.createdAt,
              k.activatesAt,
              k.alg,
              since,
            ).changes === 1,
        ),
      revoke: (kid, at, successor) => guard(() => revoke.immediate(kid, at, successor)),
    },
    replaceSecrets: (changes) => guard(() => replaceSecrets.immediate(changes)),
    counts: () =>
      guard(
        () =>
          Object.fromEntries(
            tableNames.map((t) => [
              t,
              Number(db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()),
            ]),
          ) as Record<TableName, number>,
      ),
    clear: () =>
      guard(() => {
        db.transaction(() => {
          for (const t of [...tableNames].reverse()) db.exec(`DELETE FROM ${t}`)
        })()
      }),
    sessions: sqliteSessions(db),
    counters: counterStore(<R>(sql: string, values: unknown[]) =>
      guard(() => {
        const statement = db.prepare(sql)
        if (statement.reader) return statement.all(...values) as R[]
        statement.run(...values)
        return []
      }),
    ),
    secrets: sqliteSecrets(db),
    clients: sqliteClients(db),
    audit: sqliteAudit(db),
    revokedTokens: sqliteRevokedTokens(db),
    ping: () => guard(() => void db.prepare('SELECT 1').get()),
    migrate: () => guard(migrate),
    appliedAtOpen,
    close: async () => {
      if (db.open) db.close()
    },
  }
}
