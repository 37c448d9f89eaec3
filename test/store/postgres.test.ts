import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { after, describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { SessionService } from '../../src/auth/sessions.js'
import { ManualClock } from '../../src/clock.js'
import { ApiError } from '../../src/errors.js'
import { postgresMigrations } from '../../src/store/migrations/postgres.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { withStatusCache } from '../../src/store/status-cache.js'
import { type Store, StoreUnavailableError } from '../../src/store/store.js'
import { testPostgresUrl } from '../support/engines.js'
import { keyringFor } from '../support/keyring.js'
import { storeContract } from './contract.js'
import { emailTokensContract } from './contract-email-tokens.js'
import { newSession, newUser } from './contract-helpers.js'
import { newMessage, newToken } from './contract-mail-helpers.js'
import { outboxContract } from './contract-outbox.js'

const base = testPostgresUrl()
const schemas: string[] = []

async function sql(text: string) {
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  try {
    return await client.query(text)
  } finally {
    await client.end()
  }
}

/** The URL of a fresh schema of the test server. */
async function freshSchemaUrl() {
  const schema = `c_${randomBytes(6).toString('hex')}`
  schemas.push(schema)
  await sql(`CREATE SCHEMA ${schema}`)
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/** A store on a fresh schema of the test server. */
async function openFresh() {
  return openPostgresStore(await freshSchemaUrl(), { poolSize: 20, timeoutMs: 2000 })
}

/** A fresh, migrated store, closed when the test ends. */
async function fresh(t: TestContext): Promise<Store> {
  const store = await openFresh()
  t.after(() => store.close())
  await store.migrate()
  return store
}

after(async () => {
  for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
})

storeContract('postgres', openFresh)

describe('Store contract: postgres, mail', () => {
  emailTokensContract(fresh)
  // Two instances: two pools on one schema.
  outboxContract(fresh, async (t) => {
    const url = await freshSchemaUrl()
    const options = { poolSize: 10, timeoutMs: 5000 }
    const stores: [Store, Store] = [
      openPostgresStore(url, options),
      openPostgresStore(url, options),
    ]
    t.after(() => Promise.all(stores.map((s) => s.close())))
    await stores[0].migrate()
    return stores
  })
})

describe('PostgreSQL store specifics', () => {
  it('migrates once when many instances start together', async () => {
    const schema = `m_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    await sql(`CREATE SCHEMA ${schema}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    const stores = Array.from({ length: 5 }, () =>
      openPostgresStore(url.toString(), { poolSize: 2, timeoutMs: 5000 }),
    )
    const applied = await Promise.all(stores.map((s) => s.migrate()))
    assert.equal(applied.filter((a) => a.length > 0).length, 1)
    await Promise.all(stores.map((s) => s.close()))
  })

  it('gives users stored before migration 5 the role user', async (t) => {
    const schema = `v_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    await sql(`CREATE SCHEMA ${schema}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    await client.query(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`)
    for (const m of postgresMigrations.filter((m) => m.version < 5)) {
      await client.query(m.sql)
      await client.query('INSERT INTO schema_migrations VALUES ($1, $2, now())', [
        m.version,
        m.name,
      ])
    }
    await client.query(`INSERT INTO users (id, username, password_hash, created_at, updated_at)
      VALUES ('u1', 'old', 'h', now(), now())`)
    await client.end()
    const store = openPostgresStore(url.toString(), { poolSize: 2, timeoutMs: 5000 })
    t.after(() => store.close())
    assert.deepEqual(
      await store.migrate(),
      postgresMigrations.filter((m) => m.version >= 5).map((m) => m.version),
    )
    assert.deepEqual((await store.users.findById('u1'))?.roles, ['user'])
    assert.deepEqual((await store.users.search({ text: 'ol', limit: 5 })).length, 1)
  })

  it('publishes each committed change of a user or session row, and nothing else (migration 14)', async (t) => {
    const url = await freshSchemaUrl()
    const store = openPostgresStore(url, { poolSize: 2, timeoutMs: 5000 })
    t.after(() => store.close())
    await store.migrate()
    const listener = new pg.Client({ connectionString: url })
    await listener.connect()
    t.after(() => listener.end())
    const heard: string[] = []
    listener.on('notification', (m) => {
      if (m.channel === 'portcullis_status') heard.push(m.payload ?? '')
    })
    await listener.query('LISTEN portcullis_status')
    const user = newUser()
    const session = newSession(user.id)
    // Inserts publish nothing (a new row only replaces an id cached as missing).
    await store.users.create(user)
    await store.sessions.create(session, null)
    await store.users.setDisabled(user.id, true, 'now')
    await store.users.setRoles(user.id, ['user', 'admin'], 'now')
    await store.sessions.revoke(session.id, new Date().toISOString())
    // A statement that rolls back publishes nothing.
    const other = new pg.Client({ connectionString: url })
    await other.connect()
    await assert.rejects(other.query('BEGIN; UPDATE users SET disabled = false; SELECT 1 / 0'))
    await other.end()
    await store.users.delete(user.id)
    // A round trip on the listener: every notification committed before it has arrived.
    await listener.query('SELECT 1')
    assert.deepEqual(heard, [
      `u:${user.id}`,
      `u:${user.id}`,
      `s:${session.id}`,
      // The delete, and its cascade to the session (revoked, but its row goes all the same).
      `u:${user.id}`,
      `s:${session.id}`,
    ])
  })

  it('settles a burst of concurrent writes through the status cache with one notification handler', async (t) => {
    const raw = openPostgresStore(await freshSchemaUrl(), { poolSize: 10, timeoutMs: 5000 })
    t.after(() => raw.close())
    await raw.migrate()
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
    process.on('warning', onWarning)
    t.after(() => process.off('warning', onWarning))
    const store = withStatusCache(raw, new ManualClock(), 60_000)
    // Caching starts once the listener has proven its LISTEN.
    for (let i = 0; i < 200 && !raw.statusChanges?.listening; i++) await sleep(10)
    assert.equal(raw.statusChanges?.listening, true)
    const user = newUser()
    await store.users.create(user)
    const sessions = Array.from({ length: 40 }, () => newSession(user.id))
    for (const session of sessions) await store.sessions.create(session, null)
    // Each write awaits its own probe; forty at once must not pile forty handlers on one client.
    await Promise.all(sessions.map((s) => store.sessions.revoke(s.id, new Date().toISOString())))
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(warnings, [])
    for (const session of sessions) {
      assert.notEqual((await store.sessions.findById(session.id))?.revokedAt, null)
    }
  })

  it('reads sessions stored before migration 13 as password sign-ins at their creation', async (t) => {
    const url = await freshSchemaUrl()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`)
    for (const m of postgresMigrations.filter((m) => m.version < 13)) {
      await client.query(m.sql)
      await client.query('INSERT INTO schema_migrations VALUES ($1, $2, now())', [
        m.version,
        m.name,
      ])
    }
    const createdAt = '2026-05-31T08:00:00.000Z'
    await client.query(`INSERT INTO users (id, username, password_hash, created_at, updated_at)
      VALUES ('u1', 'old', 'h', now(), now())`)
    await client.query(
      `INSERT INTO sessions (id, user_id, client_id, scope, created_at, last_used_at,
        idle_expires_at, absolute_expires_at) VALUES ('s1', 'u1', 'app', 'profile', $1, $1, $1, $1)`,
      [createdAt],
    )
    await client.end()
    const store = openPostgresStore(url, { poolSize: 2, timeoutMs: 5000 })
    t.after(() => store.close())
    assert.deepEqual(await store.migrate(), [13, 14])
    const session = await store.sessions.findById('s1')
    assert.deepEqual([session?.amr, session?.authTime], [['pwd'], createdAt])
  })

  it('rotates a refresh token once when the COMMIT succeeded but its reply was lost', async (t) => {
    const schema = `a_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    await sql(`CREATE SCHEMA ${schema}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    let loseNextCommitReply = false
    const store = openPostgresStore(url.toString(), {
      poolSize: 2,
      timeoutMs: 5000,
      afterCommit: () => {
        if (!loseNextCommitReply) return
        loseNextCommitReply = false
        throw new Error('Connection terminated unexpectedly')
      },
    })
    t.after(() => store.close())
    await store.migrate()
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const policy = { idleTtlSeconds: 3600, absoluteTtlSeconds: 7200, graceSeconds: 0 }
    const sessions = new SessionService(store, clock, policy, 'rotation-key')
    const user = await store.users.create(newUser())
    const meta = { ip: null, userAgent: null }
    for (let i = 0; i < 5; i++) {
      const { session, refreshToken } = await sessions.start(user.id, 'app', 'profile', meta)
      clock.advance(1000)
      loseNextCommitReply = true
      // The driver retries the committed rotation: the retry must know the spent token as its own.
      const rotation = await sessions.refresh(refreshToken, 'app', undefined)
      assert.equal(loseNextCommitReply, false, 'the fault struck')
      assert.equal(
        (await store.sessions.findById(session.id))?.revokedAt,
        null,
        'not taken for reuse',
      )
      const next = await sessions.refresh(rotation.refreshToken, 'app', undefined)
      assert.ok(next.refreshToken)
      // A genuine second use of the spent token is still reuse and ends the session.
      await assert.rejects(
        sessions.refresh(refreshToken, 'app', undefined),
        (error) => error instanceof ApiError && error.code === 'invalid_grant',
      )
      assert.notEqual((await store.sessions.findById(session.id))?.revokedAt, null)
    }
  })

  it('revokes a signing key once when the COMMIT succeeded but its reply was lost', async (t) => {
    const schema = `k_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    await sql(`CREATE SCHEMA ${schema}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    let loseNextCommitReply = false
    const store = openPostgresStore(url.toString(), {
      poolSize: 2,
      timeoutMs: 5000,
      afterCommit: () => {
        if (!loseNextCommitReply) return
        loseNextCommitReply = false
        throw new Error('Connection terminated unexpectedly')
      },
    })
    t.after(() => store.close())
    await store.migrate()
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const keyring = keyringFor(store, 'ES256', clock)
    await keyring.load()
    for (let i = 0; i < 3; i++) {
      const signer = keyring.signingKey().kid
      clock.advance(1000) // the next key activates strictly after the signer
      const next = await keyring.rotate(0)
      assert.equal(keyring.signingKey().kid, next)
      // A retired (not signing) key: revoked without a successor.
      loseNextCommitReply = true
      assert.deepEqual(await keyring.revoke(signer), { successor: null })
      assert.equal(loseNextCommitReply, false, 'the fault struck')
      // The signing key: revoked with a successor stored in the same transaction.
      loseNextCommitReply = true
      const revoked = await keyring.revoke(next)
      assert.equal(loseNextCommitReply, false, 'the fault struck')
      assert.ok(revoked?.successor)
      assert.equal(keyring.signingKey().kid, revoked.successor)
      const records = await store.signingKeys.list()
      assert.equal(records.filter((r) => r.kid === revoked.successor).length, 1)
      assert.equal(records.find((r) => r.kid === next)?.privateJwk, null)
      // A genuine second revocation, later, still finds nothing to revoke.
      clock.advance(1000)
      assert.equal(await keyring.revoke(next), undefined)
      assert.equal(
        await store.signingKeys.revoke(signer, new Date(clock.now()).toISOString(), null),
        false,
      )
    }
  })

  it('redeems an email token once when the COMMIT succeeded but its reply was lost', async (t) => {
    let loseNextCommitReply = false
    const store = openPostgresStore(await freshSchemaUrl(), {
      poolSize: 2,
      timeoutMs: 5000,
      afterCommit: () => {
        if (!loseNextCommitReply) return
        loseNextCommitReply = false
        throw new Error('Connection terminated unexpectedly')
      },
    })
    t.after(() => store.close())
    await store.migrate()
    const user = await store.users.create(newUser())
    const at = '2026-06-01T12:05:00.000Z'
    for (let i = 0; i < 3; i++) {
      // Issued with the fault too: the retried issue finds its token and message stored.
      loseNextCommitReply = true
      await store.emailTokens.issue(
        newToken(`h-${i}`, 'reset_password', user),
        newMessage(`m-${i}`),
        true,
      )
      assert.equal(loseNextCommitReply, false, 'the fault struck')
      loseNextCommitReply = true
      const redemption = {
        purpose: 'reset_password' as const,
        passwordHash: `hash-${i}`,
        notice: newMessage(`n-${i}`),
      }
      const done = await store.emailTokens.redeem(`h-${i}`, at, redemption)
      assert.equal(loseNextCommitReply, false, 'the fault struck')
      assert.equal(done.outcome, 'redeemed', 'the retry knows the spent token as its own')
      // A genuine second redemption is refused.
      assert.deepEqual(await store.emailTokens.redeem(`h-${i}`, at, redemption), {
        outcome: 'invalid',
      })
      assert.equal((await store.users.findById(user.id))?.passwordHash, `hash-${i}`)
    }
    assert.equal((await store.counts()).mail_outbox, 6)
  })

  it('answers an unreachable server with StoreUnavailableError within the timeout', async () => {
    const store = openPostgresStore('postgres://postgres:x@127.0.0.1:1/postgres', {
      poolSize: 1,
      timeoutMs: 500,
    })
    const started = Date.now()
    await assert.rejects(store.ping(), StoreUnavailableError)
    assert.ok(Date.now() - started < 3000)
    await store.close()
  })

  it('gives up on a server that accepts connections but never answers, without retrying the timeout', async (t) => {
    const sockets: Socket[] = []
    const blackhole = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      for (const socket of sockets) socket.destroy()
      blackhole.close()
    })
    const { port } = blackhole.address() as AddressInfo
    const store = openPostgresStore(`postgres://postgres:x@127.0.0.1:${port}/postgres`, {
      poolSize: 1,
      timeoutMs: 400,
    })
    const started = Date.now()
    await assert.rejects(store.ping(), StoreUnavailableError)
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 350 && elapsed < 1200, `gave up after ${elapsed} ms`)
    await store.close()
  })

  it('bounds a statement that waits on a lock by the timeout', async () => {
    const schema = `l_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    await sql(`CREATE SCHEMA ${schema}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    const store = openPostgresStore(url.toString(), { poolSize: 2, timeoutMs: 300 })
    await store.migrate()
    const holder = new pg.Client({ connectionString: url.toString() })
    await holder.connect()
    await holder.query('BEGIN')
    await holder.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE')
    try {
      const started = Date.now()
      await assert.rejects(store.users.findById('nobody'), StoreUnavailableError)
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 250 && elapsed < 2000, `gave up after ${elapsed} ms`)
    } finally {
      await holder.query('ROLLBACK')
      await holder.end()
      await store.close()
    }
  })
})
