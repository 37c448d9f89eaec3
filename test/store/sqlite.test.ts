import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { sqliteMigrations } from '../../src/store/migrations/sqlite.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { type NewUser, type Store, StoreUnavailableError } from '../../src/store/store.js'
import { storeContract } from './contract.js'
import { emailTokensContract } from './contract-email-tokens.js'
import { outboxContract } from './contract-outbox.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'))
after(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/** A path for a new database file inside the temporary directory (in a subfolder it creates). */
const newPath = () => join(dir, `db-${++files}`, 'portcullis.db')

storeContract('sqlite :memory:', () => openSqliteStore(':memory:'))
storeContract('sqlite file', () => openSqliteStore(newPath()))

/** A fresh in-memory store, closed when the test ends (migrated when opened). */
async function fresh(t: TestContext): Promise<Store> {
  const store = openSqliteStore(':memory:')
  t.after(() => store.close())
  return store
}

describe('Store contract: sqlite, mail', () => {
  emailTokensContract(fresh)
  // Two instances: two connections to one database file.
  outboxContract(fresh, async (t) => {
    const path = newPath()
    const stores: [Store, Store] = [openSqliteStore(path), openSqliteStore(path)]
    t.after(() => Promise.all(stores.map((s) => s.close())))
    return stores
  })
})

const user = (): NewUser => ({
  id: randomUUID(),
  username: 'alice',
  email: 'Alice@Example.com',
  emailCanonical: 'alice@example.com',
  fullName: null,
  passwordHash: 'hash-1',
  createdAt: '2026-06-01T12:00:00.000Z',
})

describe('SQLite store', () => {
  it('puts a file database in WAL journal mode', async (t) => {
    const path = newPath()
    const store = openSqliteStore(path)
    t.after(() => store.close())
    await store.ping()
    const db = new Database(path, { readonly: true })
    t.after(() => db.close())
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  })

  it('keeps users and keys across close and reopen of the same file', async () => {
    const path = newPath()
    const first = openSqliteStore(path)
    const input = user()
    await first.users.create(input)
    await first.users.setDisabled(input.id, true, '2026-06-01T12:01:00.000Z')
    await first.signingKeys.insert({
      kid: 'kid-1',
      alg: 'ES256',
      publicJwk: '{}',
      privateJwk: '{}',
      createdAt: '2026-06-01T12:00:00.000Z',
      activatesAt: '2026-06-01T12:00:00.000Z',
      retiredAt: null,
    })
    await first.close()

    const second = openSqliteStore(path)
    try {
      const found = await second.users.findByUsername('alice')
      assert.equal(found?.id, input.id)
      assert.equal(found?.disabled, true)
      assert.equal(found?.updatedAt, '2026-06-01T12:01:00.000Z')
      assert.deepEqual(
        (await second.signingKeys.list()).map((k) => k.kid),
        ['kid-1'],
      )
      assert.deepEqual(await second.migrate(), [], 'reopening applies no migration again')
    } finally {
      await second.close()
    }
  })

  it('gives users stored before migration 5 the role user', async (t) => {
    const path = newPath()
    mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path)
    db.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
    for (const m of sqliteMigrations.filter((m) => m.version < 5)) {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 'then')
    }
    const old = user()
    db.prepare(`INSERT INTO users (id, username, email, email_canonical, full_name, password_hash,
      disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`).run(
      old.id,
      old.username,
      old.email,
      old.emailCanonical,
      old.fullName,
      old.passwordHash,
      old.createdAt,
      old.createdAt,
    )
    db.close()
    const store = openSqliteStore(path)
    t.after(() => store.close())
    assert.deepEqual((await store.users.findById(old.id))?.roles, ['user'])
    assert.deepEqual(await store.counts().then((c) => [c.clients, c.audit_events]), [0, 0])
  })

  it('reads sessions stored before migration 13 as password sign-ins at their creation', async (t) => {
    const path = newPath()
    mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path)
    db.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
    for (const m of sqliteMigrations.filter((m) => m.version < 13)) {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 'then')
    }
    const old = user()
    db.prepare(`INSERT INTO users (id, username, password_hash, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?)`).run(
      old.id,
      old.username,
      old.passwordHash,
      old.createdAt,
      old.createdAt,
    )
    const createdAt = '2026-05-31T08:00:00.000Z'
    db.prepare(`INSERT INTO sessions (id, user_id, client_id, scope, created_at, last_used_at,
      idle_expires_at, absolute_expires_at) VALUES ('s1', ?, 'app', 'profile', ?, ?, ?, ?)`).run(
      old.id,
      createdAt,
      createdAt,
      createdAt,
      createdAt,
    )
    db.close()
    const store = openSqliteStore(path)
    t.after(() => store.close())
    const session = await store.sessions.findById('s1')
    assert.deepEqual([session?.amr, session?.authTime], [['pwd'], createdAt])
  })

  it('does not share data between two in-memory stores', async (t) => {
    const a = openSqliteStore(':memory:')
    const b = openSqliteStore(':memory:')
    t.after(() => Promise.all([a.close(), b.close()]))
    await a.users.create(user())
    assert.equal(await b.users.findByUsername('alice'), null)
  })

  it('closes idempotently', async () => {
    const store = openSqliteStore(newPath())
    await store.close()
    await store.close()
  })

  it('fails every call on a closed store with StoreUnavailableError, not a driver error', async () => {
    const store: Store = openSqliteStore(newPath())
    await store.close()
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['ping', () => store.ping()],
      ['migrate', () => store.migrate()],
      ['users.create', () => store.users.create(user())],
      ['users.findById', () => store.users.findById('x')],
      ['users.findByUsername', () => store.users.findByUsername('alice')],
      ['users.findByEmail', () => store.users.findByEmail('alice@example.com')],
      ['users.replacePasswordHash', () => store.users.replacePasswordHash('x', 'a', 'b', 'now')],
      ['users.setDisabled', () => store.users.setDisabled('x', true, 'now')],
      ['users.delete', () => store.users.delete('x')],
      ['signingKeys.list', () => store.signingKeys.list()],
      [
        'signingKeys.insert',
        () =>
          store.signingKeys.insert({
            kid: 'kid',
            alg: 'ES256',
            publicJwk: '{}',
            privateJwk: '{}',
            createdAt: 'now',
            activatesAt: 'now',
            retiredAt: null,
          }),
      ],
      ['signingKeys.revoke', () => store.signingKeys.revoke('kid', 'now', null)],
      ['replaceSecrets', () => store.replaceSecrets([])],
      ['users.setRoles', () => store.users.setRoles('x', ['admin'], 'now')],
      ['users.search', () => store.users.search({ text: 'a', limit: 10 })],
      ['users.importMany', () => store.users.importMany([user()])],
      ['sessions.revokeAllForClient', () => store.sessions.revokeAllForClient('app', 'now')],
      ['clients.list', () => store.clients.list()],
      ['clients.findById', () => store.clients.findById('app')],
      ['clients.setSecretHash', () => store.clients.setSecretHash('app', null, 'now')],
      ['audit.list', () => store.audit.list({ userId: 'x', limit: 10 })],
      ['audit.purge', () => store.audit.purge('now', 10)],
      ['audit.page', () => store.audit.page(null, 10)],
    ]
    for (const [name, call] of calls) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError, `${name}: got ${String(error)}`)
        assert.equal(error.name, 'StoreUnavailableError')
        assert.ok(error.cause, `${name}: keeps the driver error as cause`)
        return true
      })
    }
  })
})
