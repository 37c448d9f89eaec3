import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../src/clock.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { type CacheRules, withStatusCache } from '../../src/store/status-cache.js'
import type { NewUser, SessionRecord } from '../../src/store/store.js'

const alice: NewUser = {
  id: '00000000-0000-4000-8000-000000000001',
  username: 'alice',
  email: null,
  emailCanonical: null,
  fullName: null,
  passwordHash: 'h1',
  createdAt: '2026-01-01T00:00:00.000Z',
}

/** A live session of alice's through the client `app`. */
const liveSession = (id: string): SessionRecord => ({
  id,
  userId: alice.id,
  clientId: 'app',
  scope: '',
  ip: null,
  userAgent: null,
  createdAt: 'now',
  lastUsedAt: 'now',
  idleExpiresAt: 'later',
  absoluteExpiresAt: 'later',
  revokedAt: null,
  resource: null,
  browserSessionId: null,
  amr: ['pwd'],
  authTime: 'now',
})

function setup(ttlMs = 1000) {
  const raw = openSqliteStore(':memory:')
  const clock = new ManualClock()
  return { raw, clock, cached: withStatusCache(raw, clock, ttlMs) }
}

describe('the status cache', () => {
  it('sees its own writes at once: disable, delete, re-hash', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    assert.equal((await cached.users.findById(alice.id))?.disabled, false)
    await cached.users.setDisabled(alice.id, true, 'now')
    assert.equal((await cached.users.findById(alice.id))?.disabled, true)
    await cached.users.replacePasswordHash(alice.id, 'h1', 'h2', 'now')
    assert.equal((await cached.users.findById(alice.id))?.passwordHash, 'h2')
    await cached.users.delete(alice.id)
    assert.equal(await cached.users.findById(alice.id), null)
  })

  it('sees a write made elsewhere within the TTL, and not before', async (t) => {
    const { raw, clock, cached } = setup(1000)
    t.after(() => raw.close())
    await raw.users.create(alice)
    assert.equal((await cached.users.findById(alice.id))?.disabled, false)
    await raw.users.setDisabled(alice.id, true, 'now')
    clock.advance(999)
    assert.equal((await cached.users.findById(alice.id))?.disabled, false, 'within the bound')
    clock.advance(1)
    assert.equal((await cached.users.findById(alice.id))?.disabled, true, 'at the bound')
  })

  it('does not cache a read that overlapped a write', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    const slowRead = raw.users.findById.bind(raw.users)
    let release = () => {}
    raw.users.findById = async (id) => {
      const before = await slowRead(id)
      await new Promise<void>((resolve) => {
        release = resolve
      })
      return before
    }
    const read = cached.users.findById(alice.id)
    await new Promise((r) => setImmediate(r))
    await cached.users.setDisabled(alice.id, true, 'now')
    release()
    assert.equal((await read)?.disabled, false, 'the overlapping read saw the old row')
    raw.users.findById = slowRead
    assert.equal((await cached.users.findById(alice.id))?.disabled, true, 'but did not cache it')
  })

  it('sees its own role changes, imports and client-wide revocations at once', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    assert.deepEqual((await cached.users.findById(alice.id))?.roles, ['user'])
    await cached.users.setRoles(alice.id, ['user', 'admin'], 'now')
    assert.deepEqual((await cached.users.findById(alice.id))?.roles, ['user', 'admin'])

    const bob = { ...alice, id: '00000000-0000-4000-8000-000000000002', username: 'bob' }
    assert.equal(await cached.users.findById(bob.id), null, 'cached as missing')
    assert.deepEqual(await cached.users.importMany([alice, bob]), [false, true])
    assert.equal((await cached.users.findById(bob.id))?.username, 'bob')

    await cached.sessions.create(liveSession('s1'), 'h1')
    assert.equal((await cached.sessions.findWithUser('s1'))?.session.revokedAt, null)
    assert.equal((await cached.sessions.findById('s1'))?.revokedAt, null)
    assert.equal(await cached.sessions.revokeAllForClient('app', 'then'), 1)
    assert.equal((await cached.sessions.findWithUser('s1'))?.session.revokedAt, 'then')
    assert.equal((await cached.sessions.findById('s1'))?.revokedAt, 'then')
  })

  it('passes clients and the audit trail through', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.clients.create({
      id: 'app',
      name: 'App',
      secretHash: null,
      grantTypes: ['password'],
      scopes: [],
      introspect: false,
      registrationId: 'reg-app',
      createdAt: 'now',
      updatedAt: 'now',
      redirectUris: [],
      postLogoutRedirectUris: [],
      firstParty: false,
      resource: null,
    })
    assert.equal((await raw.clients.findById('app'))?.name, 'App')
    assert.equal(cached.audit, raw.audit)
  })

  it('is off when the TTL is 0', async (t) => {
    const { raw } = setup()
    t.after(() => raw.close())
    assert.equal(withStatusCache(raw, new ManualClock(), 0), raw)
  })

  it('sees its own new session at once, even one looked up before it existed', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    assert.equal(await cached.sessions.findById('s2'), null, 'cached as missing')
    assert.equal(await cached.sessions.findWithUser('s2'), null, 'cached as missing')
    await cached.sessions.create(liveSession('s2'), null)
    assert.equal((await cached.sessions.findById('s2'))?.id, 's2')
    assert.equal((await cached.sessions.findWithUser('s2'))?.user.id, alice.id)
  })

  it('wraps every method of the user and session stores, and each by its rule only', (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    assert.deepEqual(Object.keys(cached.users).sort(), Object.keys(raw.users).sort())
    assert.deepEqual(Object.keys(cached.sessions).sort(), Object.keys(raw.sessions).sort())
    assert.deepEqual(Object.keys(cached.emailTokens).sort(), Object.keys(raw.emailTokens).sort())
    const others = ['authorizationCodes', 'browserSessions', 'consents'] as const
    const mfa = ['mfaFactors', 'recoveryCodes', 'mfaTokens', 'webauthnChallenges'] as const
    for (const name of [...others, ...mfa]) {
      assert.deepEqual(Object.keys(cached[name]).sort(), Object.keys(raw[name]).sort(), name)
    }
    // A method the rules do not classify is a compile error (checked by `npm run typecheck`).
    type Two = { read(id: string): Promise<null>; write(id: string): Promise<void> }
    // @ts-expect-error: `write` has no rule
    const missing: CacheRules<Two> = { read: 'pass' }
    const complete: CacheRules<Two> = { read: 'pass', write: (id) => void id }
    assert.notDeepEqual(Object.keys(missing), Object.keys(complete))
  })

  it('ends a cached session and forgets the user at once when a reset is redeemed', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    const carol = { ...alice, email: 'carol@example.com', emailCanonical: 'carol@example.com' }
    await cached.users.create(carol)
    await cached.sessions.create(liveSession('s3'), null)
    assert.equal((await cached.sessions.findWithUser('s3'))?.session.revokedAt, null, 'cached')
    assert.equal((await cached.sessions.findById('s3'))?.revokedAt, null, 'cached')
    assert.equal((await cached.users.findById(alice.id))?.emailVerified, false, 'cached')
    const at = '2026-01-01T00:00:00.000Z'
    const token = (hash: string, purpose: 'verify_email' | 'reset_password') => ({
      hash,
      purpose,
      userId: alice.id,
      email: 'carol@example.com',
      emailCanonical: 'carol@example.com',
      createdAt: at,
      expiresAt: '2026-01-01T00:30:00.000Z',
      usedAt: null,
    })
    const message = (id: string) => ({
      id,
      kind: 'notice',
      recipient: 'carol@example.com',
      subject: 'Subject',
      textBody: 'text',
      htmlBody: '<p>html</p>',
      createdAt: at,
      attempts: 0,
      nextAttemptAt: at,
      claimedBy: null,
      claimedUntil: null,
      sentAt: null,
      failedAt: null,
      lastError: null,
    })
    await cached.emailTokens.issue(token('verify', 'verify_email'), message('m1'), true)
    const verified = await cached.emailTokens.redeem('verify', at, { purpose: 'verify_email' })
    assert.equal(verified.outcome, 'redeemed')
    assert.equal((await cached.users.findById(alice.id))?.emailVerified, true)
    assert.equal((await cached.sessions.findWithUser('s3'))?.user.emailVerified, true)

    await cached.emailTokens.issue(token('reset', 'reset_password'), message('m2'), true)
    const reset = await cached.emailTokens.redeem('reset', at, {
      purpose: 'reset_password',
      passwordHash: 'h-new',
      notice: message('m3'),
    })
    assert.equal(reset.outcome, 'redeemed')
    assert.equal((await cached.sessions.findWithUser('s3'))?.session.revokedAt, at)
    assert.equal((await cached.sessions.findById('s3'))?.revokedAt, at)
    assert.equal((await cached.users.findById(alice.id))?.passwordHash, 'h-new')
  })

  it('sees at once a cached session revoked by a consent revocation, a logout or a code reuse', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    const revokedAt = async (id: string) => [
      (await cached.sessions.findById(id))?.revokedAt,
      (await cached.sessions.findWithUser(id))?.session.revokedAt,
    ]
    await cached.sessions.create(liveSession('s-consent'), null)
    await cached.consents.grant(alice.id, 'app', ['openid'], 'now')
    assert.deepEqual(await revokedAt('s-consent'), [null, null], 'cached')
    assert.equal(await cached.consents.revoke(alice.id, 'app', 'c'), true)
    assert.deepEqual(await revokedAt('s-consent'), ['c', 'c'])

    await cached.browserSessions.create({
      id: 'b1',
      secretHash: 'secret',
      userId: alice.id,
      authTime: 'now',
      amr: ['pwd'],
      ip: null,
      userAgent: null,
      createdAt: 'now',
      lastSeenAt: 'now',
      idleExpiresAt: 'later',
      absoluteExpiresAt: 'later',
      endedAt: null,
    })
    await cached.sessions.create({ ...liveSession('s-browser'), browserSessionId: 'b1' }, null)
    assert.deepEqual(await revokedAt('s-browser'), [null, null], 'cached')
    assert.equal(await cached.browserSessions.end('b1', 'e'), true)
    assert.deepEqual(await revokedAt('s-browser'), ['e', 'e'])

    // The code's login must be live when it is exchanged (b1 has just ended).
    await cached.browserSessions.create({
      id: 'b2',
      secretHash: 'secret-2',
      userId: alice.id,
      authTime: 'now',
      amr: ['pwd'],
      ip: null,
      userAgent: null,
      createdAt: 'now',
      lastSeenAt: 'now',
      idleExpiresAt: 'later',
      absoluteExpiresAt: 'later',
      endedAt: null,
    })
    await cached.authorizationCodes.insert({
      hash: 'code',
      clientId: 'app',
      userId: alice.id,
      redirectUri: 'https://app.example/cb',
      codeChallenge: 'challenge',
      scope: 'openid',
      nonce: null,
      resource: null,
      browserSessionId: 'b2',
      authTime: 'now',
      amr: ['pwd'],
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:01:00.000Z',
      usedAt: null,
      sessionId: null,
    })
    const at = '2026-01-01T00:00:30.000Z'
    assert.equal(await cached.sessions.findById('s-code'), null, 'cached as missing')
    const first = await cached.authorizationCodes.redeem('code', at, liveSession('s-code'), null)
    assert.equal(first.outcome, 'redeemed')
    assert.deepEqual(await revokedAt('s-code'), [null, null], 'the new session seen, cached')
    const again = await cached.authorizationCodes.redeem('code', at, liveSession('s-x'), null)
    assert.equal(again.outcome, 'reused')
    assert.deepEqual(await revokedAt('s-code'), [at, at])
  })

  it('reads second factors fresh and keeps serving sessions across their writes', async (t) => {
    const { raw, cached } = setup()
    t.after(() => raw.close())
    await cached.users.create(alice)
    await cached.sessions.create(liveSession('s-mfa'), null)
    assert.equal((await cached.sessions.findWithUser('s-mfa'))?.session.revokedAt, null)
    assert.deepEqual(await cached.mfaFactors.listForUser(alice.id), [])
    const totp = {
      id: 'f1',
      userId: alice.id,
      kind: 'totp' as const,
      name: 'Authenticator app',
      secret: 'JBSWY3DPEHPK3PXP',
      lastStep: null,
      credentialId: null,
      publicKey: null,
      signCount: null,
      transports: [],
      backupEligible: false,
      backedUp: false,
      createdAt: 'now',
      confirmedAt: 'now',
      lastUsedAt: null,
    }
    // Written elsewhere: seen at once, nothing of it is cached.
    await raw.mfaFactors.insert(totp)
    await raw.recoveryCodes.replace(alice.id, ['r1'], 'now')
    assert.deepEqual(await cached.mfaFactors.listForUser(alice.id), [totp])
    assert.equal(await cached.recoveryCodes.remaining(alice.id), 1)
    assert.equal(await cached.mfaFactors.acceptStep('f1', 7, 'now'), true)
    assert.equal((await raw.mfaFactors.findById('f1'))?.lastStep, 7)
    // A reset of the factors leaves the session and the user as they are.
    assert.equal(await cached.mfaFactors.deleteAllForUser(alice.id), 1)
    assert.equal(await cached.recoveryCodes.remaining(alice.id), 0)
    const pair = await cached.sessions.findWithUser('s-mfa')
    assert.deepEqual([pair?.session.revokedAt, pair?.user.id], [null, alice.id])
    assert.deepEqual((await raw.sessions.findById('s-mfa'))?.revokedAt, null)
  })
})
