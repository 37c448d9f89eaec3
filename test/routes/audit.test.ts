import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { auditEventTypes } from '../../src/auth/audit.js'
import type { Services } from '../../src/services.js'
import type { AuditRecord } from '../../src/store/store.js'
import {
  adminLogin,
  basic,
  buildTestApp,
  createClient,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { latestToken } from '../support/outbox.js'
import {
  assertError,
  assertNoContent,
  call,
  loginPair,
  type RequestOptions,
  refresh,
  sidOf,
  type TokenPair,
} from './admin-support.js'
import { assertNoCodes, walkSecondFactors } from './audit-second-factors.js'
import { authorizeQuery, browserSession, codeClient, exchange, pkce } from './authorize-support.js'
import { forgot, newestResetToken, resetPassword } from './password-support.js'

const WRONG = 'Tr0ub4dor&3 is not the password'
const NEW_PASSWORD = 'a brand new passphrase, never used before'
const RESET_PASSWORD = 'the passphrase a reset link set'
const IP = '198.51.100.20'
const UA = 'audit-test/1.0'
const ADMIN_IP = '192.0.2.10'
const ADMIN_UA = 'admin-console/3.1'
/** Who makes the user's requests. */
const fromUser = { headers: { 'user-agent': UA }, remoteAddress: IP }
/** Who makes the admin's requests. */
const fromAdmin = { headers: { 'user-agent': ADMIN_UA }, remoteAddress: ADMIN_IP }
/** The CLI produces these; they are tested with the CLI. */
const cliOnly = ['admin.user.create', 'admin.user.import', 'admin.user.password', 'key.revoke']
const limits = {
  PORTCULLIS_RATE_LIMITS: 'true',
  PORTCULLIS_LOGIN_DELAY_AFTER: '3',
  PORTCULLIS_LOGIN_SLOW_AFTER: '20',
  PORTCULLIS_LOGIN_IP_FAILURES: '50',
}

interface AuditView {
  id: string
  at: string
  type: string
  outcome: string
  user_id: string | null
  client_id: string | null
  actor_id: string | null
  ip: string | null
  user_agent: string | null
  detail: Record<string, unknown> | null
}

interface AuditPage {
  events: AuditView[]
  next_cursor: string | null
}

/** A log destination that keeps every JSON line, parsed. */
function captureLogs() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      callback()
    },
  })
  const audits = () =>
    lines
      .map((l) => JSON.parse(l) as { audit?: AuditRecord; msg?: string; level?: number })
      .filter((l) => l.audit !== undefined)
  return { lines, stream, audits }
}

/** Every stored record, oldest first. */
async function stored(services: Services): Promise<AuditRecord[]> {
  return (await services.audit.list({ limit: 100_000 })).reverse()
}

const ofType = (records: AuditRecord[], type: string) => records.filter((r) => r.type === type)

/** The one record of this type (asserts there is exactly one). */
function only(records: AuditRecord[], type: string): AuditRecord {
  const found = ofType(records, type)
  assert.equal(found.length, 1, `one ${type} record, got ${found.length}`)
  return found[0] as AuditRecord
}

type Expected = Partial<Omit<AuditRecord, 'detail'>> & { detail?: unknown }

/** The record has these fields (`detail` compared as parsed JSON). */
function assertRecord(record: AuditRecord, expected: Expected) {
  for (const [key, value] of Object.entries(expected)) {
    if (key === 'detail') {
      const detail = record.detail === null ? null : (JSON.parse(record.detail) as unknown)
      assert.deepEqual(detail, value, `${record.type}: detail`)
    } else {
      assert.deepEqual(record[key as keyof AuditRecord], value, `${record.type}: ${key}`)
    }
  }
}

/** Asserts none of the secrets appears in the text. */
function assertNoSecrets(text: string, secrets: string[], where: string) {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${where} must not contain ${secret.slice(0, 12)}…`)
  }
}

function sentBy(
  options: { headers: Record<string, string>; remoteAddress: string },
  token?: string,
) {
  return (body?: unknown): RequestOptions => ({
    ...options,
    ...(token === undefined ? {} : { token }),
    ...(body === undefined ? {} : { body }),
  })
}

function userLogin(app: FastifyInstance, username: string, password = PASSWORD) {
  return postToken(app, { username, password }, fromUser.headers, fromUser)
}

async function userPair(app: FastifyInstance, username: string): Promise<TokenPair> {
  const res = await userLogin(app, username)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenPair
}

async function register(app: FastifyInstance, username: string) {
  const res = await call(
    app,
    'POST',
    '/register',
    sentBy(fromUser)({ username, password: PASSWORD }),
  )
  assert.equal(res.statusCode, 201, res.body)
  return res.json() as { id: string }
}

async function readAudit(app: FastifyInstance, token: string, query: string): Promise<AuditPage> {
  const res = await call(app, 'GET', `/admin/audit${query}`, { token })
  assert.equal(res.statusCode, 200, `${query}: ${res.body}`)
  return res.json() as AuditPage
}

/** Every page from the first to the one with a null cursor. */
async function allAuditPages(app: FastifyInstance, token: string, query: string) {
  const pages: AuditPage[] = []
  let cursor: string | null = null
  do {
    const sep = query === '' ? '?' : '&'
    pages.push(
      await readAudit(
        app,
        token,
        cursor === null ? query : `${query}${sep}cursor=${encodeURIComponent(cursor)}`,
      ),
    )
    cursor = pages.at(-1)?.next_cursor ?? null
    assert.ok(pages.length <= 1000, 'pagination must end')
  } while (cursor !== null)
  return pages
}

describe('audit records of user events', () => {
  it('records user.register, login.success and login.failure with user, client, ip and user agent; never a password', async (t) => {
    const logs = captureLogs()
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    const alice = await register(app, 'alice')
    const pair = await userPair(app, 'alice')
    assertError(await userLogin(app, 'alice', WRONG), 400, 'invalid_grant')
    assertError(await userLogin(app, 'nobody-here', WRONG), 400, 'invalid_grant')
    assertError(await userLogin(app, 'nobody-here', PASSWORD), 400, 'invalid_grant')

    const records = await stored(services)
    assertRecord(only(records, 'user.register'), {
      outcome: 'success',
      userId: alice.id,
      actorId: alice.id,
      ip: IP,
      userAgent: UA,
    })
    assertRecord(only(records, 'login.success'), {
      outcome: 'success',
      userId: alice.id,
      clientId: 'portcullis',
      ip: IP,
      userAgent: UA,
      detail: { session_id: sidOf(pair.access_token), scope: pair.scope },
    })
    const failures = ofType(records, 'login.failure')
    assert.equal(failures.length, 3)
    const [badPassword, unknown1, unknown2] = failures as [AuditRecord, AuditRecord, AuditRecord]
    assertRecord(badPassword, {
      outcome: 'failure',
      userId: alice.id,
      clientId: 'portcullis',
      ip: IP,
      userAgent: UA,
      detail: { reason: 'bad_password' },
    })
    for (const unknown of [unknown1, unknown2]) {
      assertRecord(unknown, {
        outcome: 'failure',
        userId: null,
        ip: IP,
        userAgent: UA,
        detail: { reason: 'unknown_user' },
      })
    }
    const secrets = [PASSWORD, WRONG, pair.access_token, pair.refresh_token]
    assertNoSecrets(JSON.stringify(records), secrets, 'the stored records')
    assert.ok(logs.lines.length > 0)
    assertNoSecrets(logs.lines.join('\n'), secrets, 'the log')
  })

  it('records a disabled user’s login as login.failure with reason disabled', async (t) => {
    const testApp = await buildTestApp(t)
    const admin = await adminLogin(testApp)
    const alice = await registerUser(testApp.app, 'alice')
    const res = await call(testApp.app, 'POST', `/admin/users/${alice.id}/disable`, {
      token: admin.token,
    })
    assert.equal(res.statusCode, 200, res.body)
    assertError(await userLogin(testApp.app, 'alice'), 400, 'invalid_grant')
    const failures = ofType(await stored(testApp.services), 'login.failure')
    assert.equal(failures.length, 1)
    assertRecord(failures[0] as AuditRecord, {
      outcome: 'failure',
      userId: alice.id,
      detail: { reason: 'disabled' },
    })
  })

  it('records login.lockout once, when it starts, not per refused attempt', async (t) => {
    const { app, services, clock } = await buildTestApp(t, { env: limits })
    const alice = await registerUser(app, 'alice')
    for (let i = 0; i < 3; i++) {
      assertError(await userLogin(app, 'alice', WRONG), 400, 'invalid_grant')
    }
    let records = await stored(services)
    assert.equal(ofType(records, 'login.failure').length, 3)
    assertRecord(only(records, 'login.lockout'), {
      outcome: 'failure',
      userId: alice.id,
      clientId: 'portcullis',
      ip: IP,
      userAgent: UA,
      // Not the typed login: it may be a password typed into the wrong field.
      detail: { lockouts: ['pair'] },
    })
    // Refused attempts, even with the right password: no new lockout, no new failure.
    for (const password of [WRONG, PASSWORD, WRONG]) {
      const res = await userLogin(app, 'alice', password)
      assertError(res, 429, 'too_many_requests')
    }
    records = await stored(services)
    assert.equal(ofType(records, 'login.lockout').length, 1)
    assert.equal(ofType(records, 'login.failure').length, 3)
    // After the delay, another failure extends the same lockout: still one record.
    clock.advance(60_000)
    assertError(await userLogin(app, 'alice', WRONG), 400, 'invalid_grant')
    records = await stored(services)
    assert.equal(ofType(records, 'login.failure').length, 4)
    assert.equal(ofType(records, 'login.lockout').length, 1)
    assertNoSecrets(JSON.stringify(records), [PASSWORD, WRONG], 'the stored records')
  })

  it('records refresh.reuse when a spent refresh token is presented', async (t) => {
    const { app, services } = await buildTestApp(t)
    const alice = await registerUser(app, 'alice')
    const pair = await userPair(app, 'alice')
    const next = await refresh(app, pair.refresh_token)
    assert.equal(next.statusCode, 200, next.body)
    assert.equal(ofType(await stored(services), 'refresh.reuse').length, 0)
    // Every write the audit log starts, so this test can wait for them (see the next test for
    // whether the answer should have waited).
    const writes: Array<Promise<void>> = []
    const insert = services.store.audit.insert
    services.store.audit.insert = (record) => {
      const write = insert(record)
      writes.push(write)
      return write
    }
    const reuse = await postToken(
      app,
      { grant_type: 'refresh_token', refresh_token: pair.refresh_token },
      { 'user-agent': 'thief/0.1' },
      { remoteAddress: '203.0.113.66' },
    )
    assertError(reuse, 400, 'invalid_grant')
    await Promise.all(writes)
    const records = await stored(services)
    assertRecord(only(records, 'refresh.reuse'), {
      outcome: 'failure',
      userId: alice.id,
      ip: '203.0.113.66',
      userAgent: 'thief/0.1',
      detail: { session_id: sidOf(pair.access_token) },
    })
    assertNoSecrets(
      JSON.stringify(records),
      [pair.refresh_token, next.json().refresh_token],
      'the stored records',
    )
  })

  it('stores the refresh.reuse record before answering, like every other event', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await userPair(app, 'alice')
    assert.equal((await refresh(app, pair.refresh_token)).statusCode, 200)
    // The store holds the reuse record's write until released.
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let writeStarted = () => {}
    const started = new Promise<'write'>((resolve) => {
      writeStarted = () => resolve('write')
    })
    const insert = services.store.audit.insert
    services.store.audit.insert = async (record) => {
      if (record.type === 'refresh.reuse') {
        writeStarted()
        await gate
      }
      return insert(record)
    }
    let answered = false
    const reuse = refresh(app, pair.refresh_token).then((res) => {
      answered = true
      return res
    })
    const first = await Promise.race([started, reuse.then(() => 'answer' as const)])
    assert.equal(first, 'write', 'a refresh.reuse record is written')
    // Plenty of turns of the event loop for an answer that does not wait for the write.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve))
    const answeredBeforeStored = answered
    release()
    assertError(await reuse, 400, 'invalid_grant')
    assert.equal(
      answeredBeforeStored,
      false,
      'the answer must wait until the refresh.reuse record is stored (a reader right after it, or a crash, would miss the record)',
    )
    assert.equal(ofType(await stored(services), 'refresh.reuse').length, 1)
  })

  it('records logout, logout.all and session.revoke with the user as actor', async (t) => {
    const { app, services } = await buildTestApp(t)
    const alice = await registerUser(app, 'alice')
    const first = await userPair(app, 'alice')
    const second = await userPair(app, 'alice')
    const target = sidOf(second.access_token)
    assertNoContent(
      await call(
        app,
        'DELETE',
        `/users/me/sessions/${target}`,
        sentBy(fromUser, first.access_token)(),
      ),
    )
    assertNoContent(await call(app, 'POST', '/logout', sentBy(fromUser, first.access_token)()))
    const third = await userPair(app, 'alice')
    await userPair(app, 'alice')
    assertNoContent(await call(app, 'POST', '/logout/all', sentBy(fromUser, third.access_token)()))

    const records = await stored(services)
    const common: Expected = {
      outcome: 'success',
      userId: alice.id,
      actorId: alice.id,
      ip: IP,
      userAgent: UA,
    }
    assertRecord(only(records, 'session.revoke'), {
      ...common,
      detail: { session_id: target },
    })
    assertRecord(only(records, 'logout'), {
      ...common,
      detail: { session_id: sidOf(first.access_token) },
    })
    assertRecord(only(records, 'logout.all'), common)
  })

  it('records password.change and account.delete, never either password', async (t) => {
    const logs = captureLogs()
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    const alice = await registerUser(app, 'alice')
    const pair = await userPair(app, 'alice')
    // A wrong current password changes nothing and records no change.
    assertError(
      await call(
        app,
        'PUT',
        '/users/me/password',
        sentBy(
          fromUser,
          pair.access_token,
        )({ current_password: WRONG, new_password: NEW_PASSWORD }),
      ),
      400,
      'invalid_grant',
    )
    assert.equal(ofType(await stored(services), 'password.change').length, 0)
    assertNoContent(
      await call(
        app,
        'PUT',
        '/users/me/password',
        sentBy(
          fromUser,
          pair.access_token,
        )({ current_password: PASSWORD, new_password: NEW_PASSWORD }),
      ),
    )
    assertNoContent(
      await call(
        app,
        'DELETE',
        '/users/me',
        sentBy(fromUser, pair.access_token)({ password: NEW_PASSWORD }),
      ),
    )
    const records = await stored(services)
    const common: Expected = {
      outcome: 'success',
      userId: alice.id,
      actorId: alice.id,
      ip: IP,
      userAgent: UA,
    }
    assertRecord(only(records, 'password.change'), common)
    assertRecord(only(records, 'account.delete'), {
      ...common,
      detail: { username: 'alice' },
    })
    const secrets = [PASSWORD, NEW_PASSWORD, WRONG]
    assertNoSecrets(JSON.stringify(records), secrets, 'the stored records')
    assertNoSecrets(logs.lines.join('\n'), secrets, 'the log')
  })

  it('records token.client_credentials with the client as actor, never its secret', async (t) => {
    const testApp = await buildTestApp(t)
    const { client, secret } = await createClient(testApp, { id: 'billing' })
    assert.ok(secret)
    const res = await postToken(
      testApp.app,
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, secret), 'user-agent': 'billing-job/7' },
      { remoteAddress: '10.1.2.3' },
    )
    assert.equal(res.statusCode, 200, res.body)
    const records = await stored(testApp.services)
    assertRecord(only(records, 'token.client_credentials'), {
      outcome: 'success',
      userId: null,
      clientId: 'billing',
      actorId: 'billing',
      ip: '10.1.2.3',
      userAgent: 'billing-job/7',
      detail: { scope: 'email' },
    })
    assertNoSecrets(
      JSON.stringify(records),
      [secret, res.json().access_token],
      'the stored records',
    )
  })

  it('records token.revoke with the client, the outcome and the address, never the token', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await registerUser(app, 'alice')
    const pair = await userPair(app, 'alice')
    const { client, secret } = await createClient(testApp, { id: 'billing' })
    assert.ok(secret)
    const machineToken = (
      await postToken(
        app,
        { grant_type: 'client_credentials' },
        { authorization: basic(client.id, secret) },
      )
    ).json().access_token as string
    const revoke = (token: string, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({ token }).toString(),
        remoteAddress: IP,
      })
    assert.equal((await revoke(pair.refresh_token)).statusCode, 200)
    assert.equal((await revoke(pair.refresh_token)).statusCode, 200, 'already revoked')
    assert.equal((await revoke('not-a-token')).statusCode, 200)
    const byBilling = { authorization: basic(client.id, secret) }
    assert.equal((await revoke(machineToken, byBilling)).statusCode, 200)
    const records = ofType(await stored(services), 'token.revoke')
    const seen = records.map((r) => [r.outcome, r.clientId, r.ip, r.userId, r.actorId, r.detail])
    assert.deepEqual(seen, [
      ['success', 'portcullis', IP, null, null, null],
      ['failure', 'portcullis', IP, null, null, null],
      ['failure', 'portcullis', IP, null, null, null],
      ['success', 'billing', IP, null, null, null],
    ])
    const secrets = [pair.refresh_token, pair.access_token, machineToken, secret]
    assertNoSecrets(JSON.stringify(records), secrets, 'the stored records')
  })

  it('records client.auth_failure at /token, /introspect and /revoke, never the secret', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    const { client, secret } = await createClient(testApp, { id: 'billing', introspect: true })
    assert.ok(secret)
    const wrong = `${secret.slice(0, -2)}xx`
    const form = (url: string, body: Record<string, string>, headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(body).toString(),
        remoteAddress: IP,
      })
    const failures = [
      await form(
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.id, wrong) },
      ),
      await form('/introspect', { token: 'x', client_id: 'nobody', client_secret: wrong }, {}),
      await form('/revoke', { token: 'x' }, { authorization: 'Basic !!!' }),
    ]
    for (const res of failures) assertError(res, 401, 'invalid_client')
    const ok = await form(
      '/introspect',
      { token: 'x' },
      { authorization: basic(client.id, secret) },
    )
    assert.equal(ok.statusCode, 200, 'a success records nothing')
    const records = ofType(await stored(services), 'client.auth_failure')
    const seen = records.map((r) => [r.outcome, r.clientId, r.ip, r.userId, r.detail])
    assert.deepEqual(seen, [
      ['failure', 'billing', IP, null, null],
      ['failure', 'nobody', IP, null, null],
      ['failure', null, IP, null, null],
    ])
    assertNoSecrets(JSON.stringify(records), [secret, wrong], 'the stored records')
  })
})

describe('audit records of admin actions', () => {
  it('records every user action with the admin as actor, its ip and user agent, and the target user', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    const admin = await adminLogin(testApp)
    const alice = await registerUser(app, 'alice')
    const byAdmin = sentBy(fromAdmin, admin.token)
    const users = `/admin/users/${alice.id}`

    await loginPair(app, 'alice')
    assert.equal((await call(app, 'POST', `${users}/disable`, byAdmin())).statusCode, 200)
    assert.equal((await call(app, 'POST', `${users}/enable`, byAdmin())).statusCode, 200)
    const promote = await call(app, 'PUT', `${users}/roles`, byAdmin({ roles: ['user', 'admin'] }))
    assert.equal(promote.statusCode, 200, promote.body)
    await loginPair(app, 'alice')
    const demote = await call(app, 'PUT', `${users}/roles`, byAdmin({ roles: ['user'] }))
    assert.equal(demote.statusCode, 200, demote.body)
    const one = await loginPair(app, 'alice')
    await loginPair(app, 'alice')
    assertNoContent(
      await call(app, 'DELETE', `${users}/sessions/${sidOf(one.access_token)}`, byAdmin()),
    )
    assertNoContent(await call(app, 'DELETE', `${users}/sessions`, byAdmin()))
    assertNoContent(await call(app, 'DELETE', users, byAdmin()))
    // Refused actions record nothing.
    assertError(await call(app, 'DELETE', users, byAdmin()), 404, 'not_found')
    assertError(
      await call(app, 'POST', `/admin/users/${admin.id}/disable`, byAdmin()),
      400,
      'invalid_request',
    )

    const records = await stored(services)
    const common: Expected = {
      outcome: 'success',
      userId: alice.id,
      actorId: admin.id,
      ip: ADMIN_IP,
      userAgent: ADMIN_UA,
    }
    assertRecord(only(records, 'admin.user.disable'), { ...common, detail: { sessions_ended: 1 } })
    assertRecord(only(records, 'admin.user.enable'), { ...common, detail: null })
    const roles = ofType(records, 'admin.user.roles')
    assert.equal(roles.length, 2)
    assertRecord(roles[0] as AuditRecord, {
      ...common,
      detail: { from: ['user'], to: ['user', 'admin'], sessions_ended: false },
    })
    assertRecord(roles[1] as AuditRecord, {
      ...common,
      detail: { from: ['user', 'admin'], to: ['user'], sessions_ended: true },
    })
    assertRecord(only(records, 'admin.session.revoke'), {
      ...common,
      detail: { session_id: sidOf(one.access_token) },
    })
    assertRecord(only(records, 'admin.user.sessions_end'), { ...common, detail: { ended: 1 } })
    assertRecord(only(records, 'admin.user.delete'), { ...common, detail: { username: 'alice' } })
  })

  it('records client.create, client.secret_rotate and client.delete, never a secret', async (t) => {
    const logs = captureLogs()
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    const { app, services } = testApp
    const admin = await adminLogin(testApp)
    const byAdmin = sentBy(fromAdmin, admin.token)
    const created = await call(
      app,
      'POST',
      '/admin/clients',
      byAdmin({
        client_id: 'billing',
        name: 'Billing',
        confidential: true,
        grant_types: ['client_credentials'],
        scopes: ['profile'],
      }),
    )
    assert.equal(created.statusCode, 201, created.body)
    const rotated = await call(app, 'POST', '/admin/clients/billing/secret', byAdmin())
    assert.equal(rotated.statusCode, 200, rotated.body)
    assertNoContent(await call(app, 'DELETE', '/admin/clients/billing', byAdmin()))

    const records = await stored(services)
    const common: Expected = {
      outcome: 'success',
      userId: null,
      clientId: 'billing',
      actorId: admin.id,
      ip: ADMIN_IP,
      userAgent: ADMIN_UA,
    }
    assertRecord(only(records, 'client.create'), { ...common, detail: { name: 'Billing' } })
    assertRecord(only(records, 'client.secret_rotate'), common)
    assertRecord(only(records, 'client.delete'), common)
    const secrets = [created.json().client_secret, rotated.json().client_secret] as string[]
    assertNoSecrets(JSON.stringify(records), secrets, 'the stored records')
    assertNoSecrets(logs.lines.join('\n'), secrets, 'the log')
  })
})

describe('every event type', () => {
  it('the HTTP API produces every type but the CLI’s, each stored and logged, never with a secret', async (t) => {
    const logs = captureLogs()
    const testApp: TestApp = await buildTestApp(t, {
      env: { ...limits, PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    const { app, services } = testApp
    const secrets = [PASSWORD, NEW_PASSWORD, WRONG]
    const keep = (pair: TokenPair) => {
      secrets.push(pair.access_token, pair.refresh_token)
      return pair
    }
    const admin = await adminLogin(testApp)
    secrets.push(admin.token)
    const byAdmin = sentBy(fromAdmin, admin.token)

    await register(app, 'alice')
    assertError(await userLogin(app, 'alice', WRONG), 400, 'invalid_grant')
    for (let i = 0; i < 3; i++) await userLogin(app, 'mallory', WRONG)
    const reused = keep(await userPair(app, 'alice'))
    const rotated = await refresh(app, reused.refresh_token)
    assert.equal(rotated.statusCode, 200, rotated.body)
    keep(rotated.json() as TokenPair)
    assertError(await refresh(app, reused.refresh_token), 400, 'invalid_grant')
    const a = keep(await userPair(app, 'alice'))
    const b = keep(await userPair(app, 'alice'))
    const byAlice = sentBy(fromUser, a.access_token)
    assertNoContent(
      await call(app, 'DELETE', `/users/me/sessions/${sidOf(b.access_token)}`, byAlice()),
    )
    assertNoContent(await call(app, 'POST', '/logout', byAlice()))
    const c = keep(await userPair(app, 'alice'))
    assertNoContent(await call(app, 'POST', '/logout/all', sentBy(fromUser, c.access_token)()))
    const d = keep(await userPair(app, 'alice'))
    const byD = sentBy(fromUser, d.access_token)
    assertNoContent(
      await call(
        app,
        'PUT',
        '/users/me/password',
        byD({ current_password: PASSWORD, new_password: NEW_PASSWORD }),
      ),
    )

    // The authorization code flow: a consent denied, a code issued, exchanged and presented again.
    const webApp = await codeClient(testApp, { firstParty: false })
    const signIn = await browserSession(testApp, 'olivia')
    const signedInUser = await services.store.users.findById(signIn.userId)
    assert.ok(signedInUser)
    const browser = { session: signIn.session, user: signedInUser }
    const proof = pkce()
    const codeQuery = authorizeQuery(webApp, proof.challenge)
    await services.authorization.authorize(codeQuery, browser, { consent: 'deny' })
    const allowed = await services.authorization.authorize(codeQuery, browser, {
      consent: 'allow',
    })
    const code = new URL((allowed as { location: string }).location).searchParams.get('code')
    assert.ok(code)
    const exchanged = await exchange(testApp, webApp, code, proof.verifier)
    assert.equal(exchanged.statusCode, 200, exchanged.body)
    keep(exchanged.json() as TokenPair)
    assertError(await exchange(testApp, webApp, code, proof.verifier), 400, 'invalid_grant')
    secrets.push(code, proof.verifier, signIn.cookie.split('=')[1] as string)

    // The email flows: a verification link followed, an email change confirmed, an admin's mark.
    const carol = await registerUser(app, 'carol', PASSWORD, { email: 'carol@example.com' })
    const followed = async (address: string, kind: string) => {
      const token = await latestToken(services.store, address, kind)
      secrets.push(token)
      const body = sentBy(fromUser)({ token })
      assertNoContent(await call(app, 'POST', '/email/verify', body))
    }
    await followed('carol@example.com', 'verify_email')
    const change = byD({ new_email: 'alice@example.org', password: NEW_PASSWORD })
    assert.equal((await call(app, 'PUT', '/users/me/email', change)).statusCode, 202)
    await followed('alice@example.org', 'confirm_email_change')
    assertNoContent(await call(app, 'POST', `/admin/users/${carol.id}/email/verify`, byAdmin()))

    const bob = await registerUser(app, 'bob')
    const bobUrl = `/admin/users/${bob.id}`
    assert.equal((await call(app, 'POST', `${bobUrl}/disable`, byAdmin())).statusCode, 200)
    assert.equal((await call(app, 'POST', `${bobUrl}/enable`, byAdmin())).statusCode, 200)
    assert.equal(
      (await call(app, 'PUT', `${bobUrl}/roles`, byAdmin({ roles: ['user'] }))).statusCode,
      200,
    )
    const bobPair = keep(await loginPair(app, 'bob'))
    assertNoContent(
      await call(app, 'DELETE', `${bobUrl}/sessions/${sidOf(bobPair.access_token)}`, byAdmin()),
    )
    assertNoContent(await call(app, 'DELETE', `${bobUrl}/sessions`, byAdmin()))
    await services.store.consents.grant(bob.id, 'web', ['profile'], new Date().toISOString())
    assertNoContent(await call(app, 'DELETE', `${bobUrl}/consents/web`, byAdmin()))
    assertNoContent(await call(app, 'DELETE', bobUrl, byAdmin()))

    const client = await call(
      app,
      'POST',
      '/admin/clients',
      byAdmin({
        client_id: 'billing',
        name: 'Billing',
        confidential: true,
        grant_types: ['client_credentials'],
        scopes: ['profile'],
      }),
    )
    assert.equal(client.statusCode, 201, client.body)
    const secret = client.json().client_secret as string
    const clientToken = await postToken(
      app,
      { grant_type: 'client_credentials' },
      { authorization: basic('billing', secret) },
    )
    assert.equal(clientToken.statusCode, 200, clientToken.body)
    const newSecret = await call(app, 'POST', '/admin/clients/billing/secret', byAdmin())
    assert.equal(newSecret.statusCode, 200, newSecret.body)
    const revoked = await app.inject({
      method: 'POST',
      url: '/revoke',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('billing', newSecret.json().client_secret),
      },
      payload: new URLSearchParams({ token: clientToken.json().access_token }).toString(),
    })
    assert.equal(revoked.statusCode, 200, revoked.body)
    const refused = await postToken(
      app,
      { grant_type: 'client_credentials' },
      { authorization: basic('billing', secret) },
    )
    assertError(refused, 401, 'invalid_client')
    assertNoContent(await call(app, 'DELETE', '/admin/clients/billing', byAdmin()))
    secrets.push(secret, newSecret.json().client_secret, clientToken.json().access_token)

    assertNoContent(await call(app, 'DELETE', '/users/me', byD({ password: NEW_PASSWORD })))

    // Password recovery: a link asked for, the reset, and a link sent by the admin.
    const erin = await registerUser(app, 'erin', PASSWORD, { email: 'erin@example.com' })
    assert.equal((await forgot(app, 'erin@example.com')).statusCode, 202)
    const resetToken = await newestResetToken(services, 'erin@example.com')
    secrets.push(resetToken, RESET_PASSWORD)
    assertNoContent(await resetPassword(app, resetToken, RESET_PASSWORD))
    const link = await call(app, 'POST', `/admin/users/${erin.id}/password/reset`, byAdmin())
    assert.equal(link.statusCode, 202, link.body)
    secrets.push(await newestResetToken(services, 'erin@example.com'))

    // Second factors and passkeys: the authenticator app, the two-step grant, step-up, passkeys.
    const secondFactors = await walkSecondFactors(testApp, 'dana', fromUser, {
      ...fromAdmin,
      token: admin.token,
    })
    secrets.push(...secondFactors.secrets)

    const records = await stored(services)
    const produced = [...new Set(records.map((r) => r.type))].sort()
    const expected = auditEventTypes.filter((type) => !cliOnly.includes(type)).sort()
    assert.deepEqual(produced, expected)

    // Every stored record reached the structured log, as the same object, at info level.
    const logged = new Map(logs.audits().map((l) => [l.audit?.id, l]))
    for (const record of records) {
      const line = logged.get(record.id)
      assert.ok(line, `${record.type} ${record.id} is logged`)
      assert.deepEqual(line.audit, record)
      assert.equal(line.msg, `audit ${record.type}`)
      assert.equal(line.level, 30)
    }
    assert.equal(logged.size, records.length)

    assertNoSecrets(JSON.stringify(records), secrets, 'the stored records')
    assertNoSecrets(logs.lines.join('\n'), secrets, 'the log')
    assertNoCodes(JSON.stringify(records), secondFactors.codes, 'the stored records')
    assertNoCodes(logs.lines.join('\n'), secondFactors.codes, 'the log')
  })

  it('logs the record and answers the request even when the store cannot keep it', async (t) => {
    const logs = captureLogs()
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    services.store.audit.insert = () => Promise.reject(new Error('disk full'))
    const alice = await registerUser(app, 'alice')
    const line = logs.audits().find((l) => l.audit?.type === 'user.register')
    assert.equal(line?.audit?.userId, alice.id)
    const errors = logs.lines.filter((l) => l.includes('audit record not stored'))
    assert.equal(errors.length, 1)
    assert.match(errors[0] ?? '', /disk full/)
  })
})

describe('GET /admin/audit', () => {
  /** root at 12:00, alice at 13:00, bob at 14:00, an unknown user at 15:00. */
  async function timeline(t: Parameters<typeof buildTestApp>[0]) {
    // The admin's token must outlive the three hours.
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_ACCESS_TOKEN_TTL: '86400' } })
    const { app, clock } = testApp
    const admin = await adminLogin(testApp)
    clock.advance(3_600_000)
    const alice = await registerUser(app, 'alice')
    await loginPair(app, 'alice')
    clock.advance(3_600_000)
    const bob = await registerUser(app, 'bob')
    assertError(await userLogin(app, 'bob', WRONG), 400, 'invalid_grant')
    clock.advance(3_600_000)
    assertError(await userLogin(app, 'nobody-here', WRONG), 400, 'invalid_grant')
    return { ...testApp, admin, alice, bob }
  }

  const summary = (page: AuditPage) => page.events.map((e) => `${e.type} ${e.at.slice(11, 16)}`)

  it('shows every event, newest first, in the view shape', async (t) => {
    const { app, admin, alice, services } = await timeline(t)
    const page = await readAudit(app, admin.token, '')
    assert.deepEqual(summary(page), [
      'login.failure 15:00',
      'login.failure 14:00',
      'user.register 14:00',
      'login.success 13:00',
      'user.register 13:00',
      'login.success 12:00',
      'user.register 12:00',
    ])
    assert.equal(page.next_cursor, null)
    const ids = page.events.map((e) => e.id)
    assert.deepEqual(ids, [...ids].sort().reverse())
    const event = page.events[4]
    assert.deepEqual(Object.keys(event ?? {}).sort(), [
      'actor_id',
      'at',
      'client_id',
      'detail',
      'id',
      'ip',
      'outcome',
      'type',
      'user_agent',
      'user_id',
    ])
    assert.equal(event?.user_id, alice.id)
    assert.equal(event?.actor_id, alice.id)
    assert.equal(event?.detail, null)
    assert.equal(event?.at, '2026-06-01T13:00:00.000Z')
    assert.deepEqual(page.events[1]?.detail, { reason: 'bad_password' })
    assert.equal(page.events[1]?.outcome, 'failure')
    // The same records as stored.
    assert.deepEqual(
      ids,
      (await services.audit.list({ limit: 100 })).map((r) => r.id),
    )
  })

  it('filters by user_id, by type, and both', async (t) => {
    const { app, admin, alice, bob } = await timeline(t)
    const byAlice = await readAudit(app, admin.token, `?user_id=${alice.id}`)
    assert.deepEqual(summary(byAlice), ['login.success 13:00', 'user.register 13:00'])
    assert.ok(byAlice.events.every((e) => e.user_id === alice.id))
    assert.deepEqual(summary(await readAudit(app, admin.token, '?type=login.failure')), [
      'login.failure 15:00',
      'login.failure 14:00',
    ])
    assert.deepEqual(summary(await readAudit(app, admin.token, '?type=user.register')), [
      'user.register 14:00',
      'user.register 13:00',
      'user.register 12:00',
    ])
    const both = await readAudit(app, admin.token, `?user_id=${bob.id}&type=login.failure`)
    assert.deepEqual(summary(both), ['login.failure 14:00'])
    assert.equal(both.events[0]?.user_id, bob.id)
    assert.deepEqual((await readAudit(app, admin.token, '?user_id=nobody')).events, [])
    assert.deepEqual((await readAudit(app, admin.token, '?type=client.create')).events, [])
  })

  it('filters by since and until, both inclusive, in any ISO 8601 offset', async (t) => {
    const { app, admin } = await timeline(t)
    const q = (query: string) => readAudit(app, admin.token, query).then(summary)
    assert.deepEqual(await q('?since=2026-06-01T13:00:00Z&until=2026-06-01T14:00:00Z'), [
      'login.failure 14:00',
      'user.register 14:00',
      'login.success 13:00',
      'user.register 13:00',
    ])
    assert.deepEqual(await q('?since=2026-06-01T14:00:00.001Z'), ['login.failure 15:00'])
    assert.deepEqual(await q('?until=2026-06-01T12:59:59Z'), [
      'login.success 12:00',
      'user.register 12:00',
    ])
    assert.deepEqual(await q(`?since=${encodeURIComponent('2026-06-01T16:00:00+02:00')}`), [
      'login.failure 15:00',
      'login.failure 14:00',
      'user.register 14:00',
    ])
    assert.deepEqual(await q('?since=2026-06-01T15:00:00.001Z'), [])
    assert.deepEqual(await q('?since=2026-06-01T13:00:00Z&type=login.success'), [
      'login.success 13:00',
    ])
    assert.deepEqual(await q('?since=&until='), await q(''))
  })

  it('pages newest first with limit and cursor: every event exactly once', async (t) => {
    const { app, admin, services } = await timeline(t)
    const pages = await allAuditPages(app, admin.token, '?limit=2')
    assert.deepEqual(
      pages.map((p) => p.events.length),
      [2, 2, 2, 1],
    )
    const ids = pages.flatMap((p) => p.events.map((e) => e.id))
    assert.deepEqual(
      ids,
      (await services.audit.list({ limit: 100 })).map((r) => r.id),
    )
    // With a filter too.
    const failures = await allAuditPages(app, admin.token, '?type=login.failure&limit=1')
    assert.deepEqual(
      failures.map((p) => p.events.map((e) => e.at)),
      [['2026-06-01T15:00:00.000Z'], ['2026-06-01T14:00:00.000Z']],
    )
  })

  it('pages with the default page size of 50, events of one millisecond included', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services, clock } = testApp
    const admin = await adminLogin(testApp)
    for (let i = 0; i < 60; i++) {
      // Three events per millisecond: their order must still be kept.
      if (i % 3 === 0) clock.advance(1)
      await services.audit.record({ type: 'logout', userId: `user-${i}` })
    }
    const pages = await allAuditPages(app, admin.token, '?type=logout')
    assert.deepEqual(
      pages.map((p) => p.events.length),
      [50, 10],
    )
    assert.deepEqual(
      pages.flatMap((p) => p.events.map((e) => e.user_id)),
      Array.from({ length: 60 }, (_, i) => `user-${59 - i}`),
    )
    assert.equal(pages[1]?.next_cursor, null)
  })

  it('refuses an unknown type, a bad date, a bad cursor and a bad limit with 400 invalid_request', async (t) => {
    const testApp = await buildTestApp(t)
    const admin = await adminLogin(testApp)
    const bad = [
      '?type=nope',
      '?type=LOGIN.SUCCESS',
      '?type=admin.user',
      '?since=yesterday',
      '?since=2026-13-01T00:00:00Z',
      '?until=not-a-date',
      '?until=2026-06-01T25:00:00Z',
      '?cursor=!!',
      '?cursor=not%20a%20cursor',
      '?limit=0',
      '?limit=201',
      '?limit=ten',
    ]
    for (const query of bad) {
      const res = await call(testApp.app, 'GET', `/admin/audit${query}`, { token: admin.token })
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`)
      assertError(res, 400, 'invalid_request')
    }
    const since = await call(testApp.app, 'GET', '/admin/audit?since=yesterday', {
      token: admin.token,
    })
    assert.match(since.json().error_description, /since/)
  })

  it('answers dates outside what can be stored, and odd filter text, without a 5xx and without events that do not match', async (t) => {
    const testApp = await buildTestApp(t)
    const admin = await adminLogin(testApp)
    const checks: Array<[string, boolean]> = [
      // [query, whether a 200 may list events]
      [`?since=${encodeURIComponent('+010000-01-01T00:00:00Z')}`, false],
      [`?until=${encodeURIComponent('-000001-01-01T00:00:00Z')}`, false],
      ['?user_id=%00', false],
      ['?cursor=AA', false],
    ]
    for (const [query, mayList] of checks) {
      const res = await call(testApp.app, 'GET', `/admin/audit${query}`, { token: admin.token })
      assert.ok(res.statusCode < 500, `${query}: ${res.statusCode} ${res.body}`)
      if (res.statusCode === 200 && !mayList) {
        assert.deepEqual(res.json().events, [], `${query}: nothing matches`)
      } else if (res.statusCode !== 200) {
        assertError(res, 400, 'invalid_request')
      }
    }
  })

  it('is for admins only', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app, 'alice')
    assertError(
      await call(app, 'GET', '/admin/audit', { token: pair.access_token }),
      403,
      'insufficient_scope',
    )
    assert.equal((await call(app, 'GET', '/admin/audit')).statusCode, 401)
  })
})

describe('audit retention', () => {
  it('purges records older than PORTCULLIS_AUDIT_RETENTION_DAYS, keeping the rest', async (t) => {
    const { app, services, clock } = await buildTestApp(t, {
      env: { PORTCULLIS_AUDIT_RETENTION_DAYS: '30' },
    })
    assert.equal(services.config.housekeeping.auditRetentionDays, 30)
    const day = 86_400_000
    await registerUser(app, 'alice')
    await loginPair(app, 'alice')
    assertError(await userLogin(app, 'alice', WRONG), 400, 'invalid_grant')
    clock.advance(20 * day)
    const recent = await loginPair(app, 'alice')
    clock.advance(10 * day)
    // Exactly 30 days after the first records: nothing is older than that yet.
    assert.equal(await services.audit.purge(services.config.housekeeping.auditRetentionDays), 0)
    assert.equal((await stored(services)).length, 4)
    clock.advance(1)
    assert.equal(await services.audit.purge(services.config.housekeeping.auditRetentionDays), 3)
    const left = await stored(services)
    assert.deepEqual(
      left.map((r) => r.type),
      ['login.success'],
    )
    assertRecord(left[0] as AuditRecord, {
      detail: { session_id: sidOf(recent.access_token), scope: recent.scope },
    })
    // Nothing more to purge.
    assert.equal(await services.audit.purge(services.config.housekeeping.auditRetentionDays), 0)
  })

  it('purges in batches until nothing old is left', async (t) => {
    const { services, clock } = await buildTestApp(t)
    for (let i = 0; i < 7; i++) await services.audit.record({ type: 'logout', userId: `u${i}` })
    clock.advance(2 * 86_400_000)
    await services.audit.record({ type: 'logout', userId: 'recent' })
    assert.equal(await services.audit.purge(1, 2), 7)
    assert.deepEqual(
      (await stored(services)).map((r) => r.userId),
      ['recent'],
    )
  })
})
