import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { copyDatabase } from '../../src/cli/db-copy.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store, TableName } from '../../src/store/store.js'
import { runCli } from '../support/cli.js'
import { freshDatabaseUrl } from '../support/engines.js'

const dbOptions = { poolSize: 4, timeoutMs: 5000 }

async function open(t: TestContext, url: string): Promise<Store> {
  const store = await openStore(url, dbOptions)
  t.after(() => store.close())
  return store
}

/** A SQLite file with `n` users (one disabled) and two signing keys, one retired. */
async function seededSqlite(t: TestContext, n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-copy-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'source.db')
  const store = await openStore(`sqlite:${path}`, dbOptions)
  for (let i = 0; i < n; i++) {
    await store.users.create({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      username: `user${i}`,
      email: i % 3 ? `user${i}@example.com` : null,
      emailCanonical: i % 3 ? `user${i}@example.com` : null,
      fullName: i % 2 ? `User ${i}` : null,
      passwordHash: `$argon2id$v=19$m=256,t=1,p=1$c2FsdA$hash${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    })
  }
  await store.users.setDisabled(
    '00000000-0000-4000-8000-000000000001',
    true,
    '2026-02-01T00:00:00.000Z',
  )
  for (const [kid, retiredAt] of [
    ['k-old', '2026-01-02T00:00:00.000Z'],
    ['k-new', null],
  ] as const) {
    await store.signingKeys.insert({
      kid,
      alg: 'ES256',
      publicJwk: `{"kid":"${kid}"}`,
      privateJwk: `{"d":"${kid}"}`,
      createdAt: '2026-01-01T00:00:00.000Z',
      activatesAt: '2026-01-01T00:00:00.000Z',
      retiredAt,
    })
  }
  for (const i of [0, 1]) {
    await store.sessions.create(
      {
        id: `s${i}`,
        userId: '00000000-0000-4000-8000-000000000000',
        clientId: 'portcullis',
        scope: 'profile',
        ip: '127.0.0.1',
        userAgent: `agent ${i}`,
        createdAt: '2026-01-01T00:00:00.000Z',
        lastUsedAt: '2026-01-01T00:00:00.000Z',
        idleExpiresAt: '2026-02-01T00:00:00.000Z',
        absoluteExpiresAt: '2026-04-01T00:00:00.000Z',
        revokedAt: null,
        resource: null,
        browserSessionId: null,
        amr: i ? ['pwd', 'otp', 'mfa'] : ['pwd'],
        authTime: `2026-01-01T00:00:0${i}.000Z`,
      },
      `hash-${i}`,
    )
  }
  await store.sessions.rotate(
    'hash-0',
    'hash-0b',
    '2026-01-02T00:00:00.000Z',
    '2026-02-02T00:00:00.000Z',
  )
  await store.secrets.getOrCreate(
    'refresh-rotation-key',
    'secret-value',
    '2026-01-01T00:00:00.000Z',
  )
  await store.users.setRoles(
    '00000000-0000-4000-8000-000000000002',
    ['user', 'admin'],
    '2026-02-01T00:00:00.000Z',
  )
  await seedClientsAndAudit(store, n)
  await seedMail(store, n)
  await seedAuthorization(store, n)
  await seedMfa(store, n)
  await store.close()
  return path
}

/** Two clients (one public) and `n` audit events, one per user, some with every field. */
async function seedClientsAndAudit(store: Store, n: number) {
  for (const [id, secretHash] of [
    ['portcullis', null],
    ['backend', 'c2VjcmV0'],
  ] as const) {
    await store.clients.create({
      id,
      name: `Client ${id}`,
      secretHash,
      grantTypes: secretHash ? ['client_credentials'] : ['password', 'refresh_token'],
      scopes: secretHash ? [] : ['profile', 'email'],
      introspect: secretHash !== null,
      registrationId: `reg-${id}`,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-03T00:00:00.000Z',
      redirectUris: [],
      postLogoutRedirectUris: [],
      firstParty: false,
      resource: null,
    })
  }
  await store.revokedTokens.add('revoked-jti', '2026-01-04T00:00:00.000Z')
  for (let i = 0; i < n; i++) {
    await store.audit.insert({
      id: `evt-${String(i).padStart(8, '0')}`,
      at: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(),
      type: i % 2 ? 'login.failure' : 'login.success',
      outcome: i % 2 ? 'failure' : 'success',
      userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      clientId: i % 5 ? 'portcullis' : null,
      actorId: i % 7 ? null : 'cli',
      ip: i % 3 ? '192.0.2.1' : null,
      userAgent: i % 3 ? `agent ${i}` : null,
      detail: i % 2 ? JSON.stringify({ reason: 'bad_password' }) : null,
    })
  }
}

/** `n` email tokens (every purpose, some used) and `n` outbox messages in every state. */
async function seedMail(store: Store, n: number) {
  const user = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  const purposes = ['verify_email', 'reset_password', 'change_email'] as const
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.UTC(2026, 0, 3, 0, 0, i)).toISOString()
    await store.emailTokens.insertRecord({
      hash: `token-hash-${String(i).padStart(8, '0')}`,
      purpose: purposes[i % 3] as (typeof purposes)[number],
      userId: user(i),
      email: `User${i}@Example.com`,
      emailCanonical: `user${i}@example.com`,
      createdAt: at,
      expiresAt: '2026-01-04T00:00:00.000Z',
      usedAt: i % 4 ? null : '2026-01-03T12:00:00.000Z',
    })
    const state = i % 4
    await store.outbox.insertRecord({
      id: `msg-${String(i).padStart(8, '0')}`,
      kind: purposes[i % 3] as string,
      recipient: `user${i}@example.com`,
      subject: `Subject ${i}`,
      textBody: state === 1 || state === 2 ? '' : `text ${i}`,
      htmlBody: state === 1 || state === 2 ? '' : `<p>html ${i}</p>`,
      createdAt: at,
      attempts: state,
      nextAttemptAt: at,
      claimedBy: state === 3 ? 'worker-a' : null,
      claimedUntil: state === 3 ? '2026-01-03T01:00:00.000Z' : null,
      sentAt: state === 1 ? '2026-01-03T00:30:00.000Z' : null,
      failedAt: state === 2 ? '2026-01-03T00:40:00.000Z' : null,
      lastError: state >= 2 ? `550 refused ${i}` : null,
    })
  }
}

/** `n` browser sessions (some ended), `n` codes (some spent) and `n` consents, one per user. */
async function seedAuthorization(store: Store, n: number) {
  const user = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.UTC(2026, 0, 4, 0, 0, i)).toISOString()
    const sid = `bs-${String(i).padStart(8, '0')}`
    await store.browserSessions.insertRecord({
      id: sid,
      secretHash: `bs-secret-${i}`,
      userId: user(i),
      authTime: at,
      amr: i % 2 ? ['pwd', 'otp'] : ['pwd'],
      ip: i % 3 ? '192.0.2.1' : null,
      userAgent: i % 3 ? `agent ${i}` : null,
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: '2026-01-05T00:00:00.000Z',
      absoluteExpiresAt: '2026-01-06T00:00:00.000Z',
      endedAt: i % 4 ? null : '2026-01-04T12:00:00.000Z',
    })
    await store.authorizationCodes.insertRecord({
      hash: `code-hash-${String(i).padStart(8, '0')}`,
      clientId: 'portcullis',
      userId: user(i),
      redirectUri: 'https://app.example/callback',
      codeChallenge: `challenge-${i}`,
      scope: 'openid profile',
      nonce: i % 2 ? `nonce-${i}` : null,
      resource: i % 3 ? null : 'https://api.example/',
      browserSessionId: sid,
      authTime: at,
      amr: ['pwd'],
      createdAt: at,
      expiresAt: '2026-01-04T00:01:00.000Z',
      usedAt: i % 2 ? at : null,
      sessionId: i % 2 ? 's0' : null,
    })
    await store.consents.insertRecord({
      userId: user(i),
      clientId: i % 2 ? 'backend' : 'portcullis',
      scopes: i % 3 ? ['openid', 'profile'] : ['email'],
      createdAt: at,
      updatedAt: at,
    })
  }
}

/**
 * A TOTP factor per user (every other one pending), a passkey for every third, two recovery codes
 * each (some used); and MFA tokens and WebAuthn challenges, which live minutes and are not copied.
 */
async function seedMfa(store: Store, n: number) {
  const user = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.UTC(2026, 0, 5, 0, 0, i)).toISOString()
    const factor = {
      id: `factor-${String(i).padStart(8, '0')}`,
      userId: user(i),
      kind: 'totp' as const,
      name: 'Authenticator app',
      secret: `SECRET${i}`,
      lastStep: i % 2 ? 59_000_000 + i : null,
      credentialId: null,
      publicKey: null,
      signCount: null,
      transports: [],
      backupEligible: false,
      backedUp: false,
      createdAt: at,
      confirmedAt: i % 2 ? at : null,
      lastUsedAt: i % 2 ? at : null,
    }
    await store.mfaFactors.insertRecord(factor)
    if (i % 3 === 0) {
      await store.mfaFactors.insertRecord({
        ...factor,
        id: `passkey-${String(i).padStart(8, '0')}`,
        kind: 'passkey',
        name: `Key ${i}`,
        secret: null,
        lastStep: null,
        credentialId: `cred-${i}`,
        publicKey: `pk-${i}`,
        signCount: i * 1000,
        transports: i % 2 ? ['usb', 'nfc'] : ['internal'],
        backupEligible: i % 2 === 0,
        backedUp: i % 4 === 0,
        confirmedAt: at,
      })
    }
    for (const k of [0, 1]) {
      await store.recoveryCodes.insertRecord({
        hash: `rc-${i}-${k}`,
        userId: user(i),
        createdAt: at,
        usedAt: k === 0 && i % 4 === 0 ? at : null,
      })
    }
    await store.mfaTokens.insert({
      hash: `mfa-token-${i}`,
      userId: user(i),
      clientId: 'portcullis',
      scope: 'profile',
      resource: null,
      authTime: at,
      attempts: 0,
      createdAt: at,
      expiresAt: '2026-01-05T00:05:00.000Z',
      usedAt: null,
    })
    await store.webauthnChallenges.insert({
      id: `challenge-${i}`,
      challenge: `c-${i}`,
      purpose: 'authenticate',
      userId: null,
      createdAt: at,
      expiresAt: '2026-01-05T00:05:00.000Z',
      usedAt: null,
    })
  }
}

async function dump(store: Store) {
  return {
    users: await store.users.page(null, 100_000),
    keys: await store.signingKeys.list(),
    secrets: await store.secrets.list(),
    sessions: await store.sessions.page(null, 100_000),
    tokens: await store.sessions.pageRefreshTokens(null, 100_000),
    clients: await store.clients.list(),
    audit: await store.audit.page(null, 100_000),
    revoked: await store.revokedTokens.page(null, 100_000),
    emailTokens: await store.emailTokens.page(null, 100_000),
    outbox: await store.outbox.page(null, 100_000),
    browserSessions: await store.browserSessions.page(null, 100_000),
    codes: await store.authorizationCodes.page(null, 100_000),
    consents: await store.consents.page(null, 100_000),
    mfaFactors: await store.mfaFactors.page(null, 100_000),
    recoveryCodes: await store.recoveryCodes.page(null, 100_000),
  }
}

describe('copyDatabase', () => {
  it('copies every table both ways with per-table progress, audit events in batches', async (t) => {
    const from = await open(t, `sqlite:${await seededSqlite(t, 30)}`)
    const middle = await open(t, await freshDatabaseUrl(t, 'postgres'))
    const progress: string[] = []
    const onProgress = (table: TableName, copied: number, total: number) =>
      progress.push(`${table} ${copied}/${total}`)
    const counts = await copyDatabase(from, middle, { batchSize: 7, force: false, onProgress })
    assert.deepEqual(counts, await from.counts())
    assert.equal(counts.clients, 2)
    assert.equal(counts.revoked_tokens, 1)
    assert.equal(await middle.revokedTokens.has('revoked-jti'), true)
    assert.equal(counts.audit_events, 30)
    assert.equal(counts.email_tokens, 30)
    assert.equal(counts.mail_outbox, 30)
    assert.deepEqual(
      progress.filter((p) => p.startsWith('mail_outbox')),
      ['7/30', '14/30', '21/30', '28/30', '30/30'].map((p) => `mail_outbox ${p}`),
    )
    assert.ok(progress.includes('clients 2/2'), progress.join(', '))
    assert.deepEqual(
      progress.filter((p) => p.startsWith('consents')),
      ['7/30', '14/30', '21/30', '28/30', '30/30'].map((p) => `consents ${p}`),
    )
    assert.deepEqual(
      [counts.browser_sessions, counts.authorization_codes, counts.consents],
      [30, 30, 30],
    )
    assert.deepEqual(
      progress.filter((p) => p.startsWith('audit_events')),
      ['7/30', '14/30', '21/30', '28/30', '30/30'].map((p) => `audit_events ${p}`),
    )
    assert.deepEqual([counts.mfa_factors, counts.recovery_codes], [40, 60])
    assert.ok(progress.includes('recovery_codes 60/60'), progress.join(', '))
    // MFA tokens and WebAuthn challenges live minutes: a copy does not carry them.
    const at = '2026-01-05T00:00:00.000Z'
    assert.equal(await middle.mfaTokens.findLive('mfa-token-29', 'portcullis', at), null)
    assert.notEqual(await from.mfaTokens.findLive('mfa-token-29', 'portcullis', at), null)
    assert.equal(
      await middle.webauthnChallenges.consume('challenge-29', 'authenticate', null, at),
      null,
    )
    const back = await open(t, 'sqlite::memory:')
    await copyDatabase(middle, back, { batchSize: 1000, force: false })
    assert.deepEqual(await dump(middle), await dump(from))
    assert.deepEqual(await dump(back), await dump(from))
  })
})

describe('portcullis db copy', () => {
  it('copies SQLite to PostgreSQL exactly, in batches, and verifies the counts', async (t) => {
    const source = await seededSqlite(t, 1234)
    const target = await freshDatabaseUrl(t, 'postgres')
    const res = await runCli(
      ['db', 'copy', '--from', source, '--to', target, '--batch-size', '100'],
      {},
    )
    assert.equal(res.code, 0, res.out)
    assert.match(res.out, /users: 1234\/1234/)
    assert.match(res.out, /audit_events: 1234\/1234/)
    assert.match(res.out, /email_tokens: 1234\/1234/)
    assert.match(res.out, /mail_outbox: 1234\/1234/)
    assert.match(res.out, /consents: 1234\/1234/)
    assert.match(res.out, /row counts verified/)
    const [from, to] = [await open(t, `sqlite:${source}`), await open(t, target)]
    assert.deepEqual(await dump(to), await dump(from))
  })

  it('refuses a non-empty target unless --force, and then replaces its rows', async (t) => {
    const source = await seededSqlite(t, 10)
    const target = await freshDatabaseUrl(t, 'postgres')
    const other = await open(t, target)
    await other.users.create({
      id: 'ffffffff-0000-4000-8000-000000000000',
      username: 'stranger',
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: 'x',
      createdAt: '2026-01-01T00:00:00.000Z',
    })
    const refused = await runCli(['db', 'copy', '--from', source, '--to', target], {})
    assert.equal(refused.code, 1)
    assert.match(refused.out, /target is not empty \(users: 1\); pass --force/)
    assert.equal((await other.counts()).users, 1, 'nothing was written')
    const forced = await runCli(['db', 'copy', '--from', source, '--to', target, '--force'], {})
    assert.equal(forced.code, 0, forced.out)
    assert.equal(await other.users.findByUsername('stranger'), null)
    assert.deepEqual(await other.counts(), {
      users: 10,
      signing_keys: 2,
      server_secrets: 1,
      sessions: 2,
      refresh_tokens: 3,
      clients: 2,
      audit_events: 10,
      revoked_tokens: 1,
      email_tokens: 10,
      mail_outbox: 10,
      browser_sessions: 10,
      authorization_codes: 10,
      consents: 10,
      mfa_factors: 14,
      recovery_codes: 20,
    })
  })

  it('copies PostgreSQL back to a new SQLite file', async (t) => {
    const source = await seededSqlite(t, 25)
    const middle = await freshDatabaseUrl(t, 'postgres')
    assert.equal((await runCli(['db', 'copy', '--from', source, '--to', middle], {})).code, 0)
    const back = join(mkdtempSync(join(tmpdir(), 'portcullis-back-')), 'back.db')
    t.after(() => rmSync(back, { force: true }))
    const res = await runCli(['db', 'copy', '--from', middle, '--to', `sqlite:${back}`], {})
    assert.equal(res.code, 0, res.out)
    assert.deepEqual(
      await dump(await open(t, `sqlite:${back}`)),
      await dump(await open(t, `sqlite:${source}`)),
    )
  })

  it('exits 2 with usage when --from or --to is missing', async () => {
    const res = await runCli(['db', 'copy', '--from', 'x.db'], {})
    assert.equal(res.code, 2)
    assert.match(res.out, /usage/)
  })
})
