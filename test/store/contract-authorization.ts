/** The Store contract for authorization codes, browser sessions and consents. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { AuthorizationCodeRecord, BrowserSessionRecord, Store } from '../../src/store/store.js'
import { type Fresh, newSession, newUser, rejectsUnique, T0, T1, T2 } from './contract-helpers.js'

const T3 = '2026-06-01T12:15:00.000Z'

export function newCode(
  userId: string,
  overrides: Partial<AuthorizationCodeRecord> = {},
): AuthorizationCodeRecord {
  return {
    hash: `code-${randomUUID()}`,
    clientId: 'web',
    userId,
    redirectUri: 'https://app.example/callback',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    scope: 'openid profile',
    nonce: 'n-0S6_WzA2Mj',
    resource: 'https://api.example/',
    browserSessionId: randomUUID(),
    authTime: T0,
    amr: ['pwd'],
    createdAt: T0,
    expiresAt: T1,
    usedAt: null,
    sessionId: null,
    ...overrides,
  }
}

export function newBrowserSession(
  userId: string,
  overrides: Partial<BrowserSessionRecord> = {},
): BrowserSessionRecord {
  return {
    id: randomUUID(),
    secretHash: `secret-${randomUUID()}`,
    userId,
    authTime: T0,
    amr: ['pwd'],
    ip: '192.0.2.1',
    userAgent: 'test',
    createdAt: T0,
    lastSeenAt: T0,
    idleExpiresAt: T1,
    absoluteExpiresAt: T2,
    endedAt: null,
    ...overrides,
  }
}

/** Whether the session `id` is revoked. */
const revoked = async (store: Store, id: string) =>
  (await store.sessions.findById(id))?.revokedAt !== null

export function authorizationContract(fresh: Fresh): void {
  describe('authorization codes', () => {
    it('stores a code with every field intact, found spent or not', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      const bare = newCode(user.id, { nonce: null, resource: null, amr: ['pwd', 'otp'] })
      await store.authorizationCodes.insert(code)
      await store.authorizationCodes.insert(bare)
      assert.deepEqual(await store.authorizationCodes.find(code.hash), code)
      assert.deepEqual(await store.authorizationCodes.find(bare.hash), bare)
      assert.equal(await store.authorizationCodes.find('nope'), null)
      await rejectsUnique(store.authorizationCodes.insert({ ...bare, userId: user.id }), 'id')
    })

    it('redeems a live code once: spends it, records and stores the session with its token', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      await store.authorizationCodes.insert(code)
      await store.browserSessions.create(newBrowserSession(user.id, { id: code.browserSessionId }))
      const session = newSession(user.id, { browserSessionId: code.browserSessionId })
      const outcome = await store.authorizationCodes.redeem(code.hash, T0, session, 'rt-0')
      assert.deepEqual(outcome, {
        outcome: 'redeemed',
        code: { ...code, usedAt: T0, sessionId: session.id },
      })
      assert.deepEqual(await store.sessions.findById(session.id), session)
      assert.equal((await store.sessions.findRefreshToken('rt-0'))?.sessionId, session.id)
      assert.deepEqual(await store.authorizationCodes.find(code.hash), {
        ...code,
        usedAt: T0,
        sessionId: session.id,
      })
    })

    it('redeems without a refresh token when given none', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      await store.authorizationCodes.insert(code)
      await store.browserSessions.create(newBrowserSession(user.id, { id: code.browserSessionId }))
      const session = newSession(user.id)
      const outcome = await store.authorizationCodes.redeem(code.hash, T0, session, null)
      assert.equal(outcome.outcome, 'redeemed')
      assert.equal((await store.counts()).refresh_tokens, 0)
    })

    it('answers reused to a second redemption and revokes the first one’s session', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      await store.authorizationCodes.insert(code)
      await store.browserSessions.create(newBrowserSession(user.id, { id: code.browserSessionId }))
      const first = newSession(user.id)
      await store.authorizationCodes.redeem(code.hash, T0, first, 'rt-1')
      const second = newSession(user.id)
      const outcome = await store.authorizationCodes.redeem(code.hash, T0, second, 'rt-2')
      assert.deepEqual(outcome, {
        outcome: 'reused',
        code: { ...code, usedAt: T0, sessionId: first.id },
      })
      assert.equal((await store.sessions.findById(first.id))?.revokedAt, T0)
      assert.equal(await store.sessions.findById(second.id), null, 'the loser stored nothing')
      assert.equal(await store.sessions.findRefreshToken('rt-2'), null)
    })

    it('revokes the first session also when the spent code comes back after its expiry', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      await store.authorizationCodes.insert(code)
      await store.browserSessions.create(newBrowserSession(user.id, { id: code.browserSessionId }))
      const first = newSession(user.id)
      await store.authorizationCodes.redeem(code.hash, T0, first, null)
      const late = await store.authorizationCodes.redeem(code.hash, T2, newSession(user.id), null)
      assert.equal(late.outcome, 'reused')
      assert.equal((await store.sessions.findById(first.id))?.revokedAt, T2)
    })

    it('answers invalid for an unknown code and for a code at or after its expiry', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id, { expiresAt: T1 })
      await store.authorizationCodes.insert(code)
      const s = newSession(user.id)
      assert.deepEqual(await store.authorizationCodes.redeem('nope', T0, s, 'x'), {
        outcome: 'invalid',
      })
      assert.deepEqual(await store.authorizationCodes.redeem(code.hash, T1, s, 'x'), {
        outcome: 'invalid',
      })
      assert.equal(await store.sessions.findById(s.id), null)
      assert.equal((await store.authorizationCodes.find(code.hash))?.usedAt, null, 'not spent')
    })

    it('lets exactly one of 20 concurrent redemptions win, every round, and revokes its session', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < 8; round++) {
        const code = newCode(user.id)
        await store.authorizationCodes.insert(code)
        await store.browserSessions.create(
          newBrowserSession(user.id, { id: code.browserSessionId }),
        )
        const tried = Array.from({ length: 20 }, () => newSession(user.id))
        const outcomes = await Promise.all(
          tried.map((s, i) =>
            store.authorizationCodes.redeem(code.hash, T0, s, `rt-${round}-${i}`),
          ),
        )
        const winners = outcomes.flatMap((o, i) => (o.outcome === 'redeemed' ? [tried[i]] : []))
        assert.equal(winners.length, 1, `round ${round}: exactly one redeemed`)
        assert.equal(
          outcomes.filter((o) => o.outcome === 'reused').length,
          19,
          `round ${round}: every other one sees reuse`,
        )
        const winner = winners[0]
        assert.ok(winner)
        assert.equal(await revoked(store, winner.id), true, `round ${round}: session revoked`)
        const stored = await Promise.all(tried.map((s) => store.sessions.findById(s.id)))
        assert.equal(stored.filter(Boolean).length, 1, `round ${round}: one session stored`)
        assert.equal((await store.authorizationCodes.find(code.hash))?.sessionId, winner.id)
      }
    })

    it('purges codes that expired before now, in batches, keeping live and spent-live ones', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const live = newCode(user.id, { expiresAt: T2 })
      const expired = [newCode(user.id, { expiresAt: T0 }), newCode(user.id, { expiresAt: T0 })]
      const edge = newCode(user.id, { expiresAt: T1 })
      for (const c of [live, ...expired, edge]) await store.authorizationCodes.insert(c)
      assert.equal(await store.authorizationCodes.purge(T1, 1), 1)
      assert.equal(await store.authorizationCodes.purge(T1, 5), 1)
      assert.equal(await store.authorizationCodes.purge(T1, 5), 0)
      assert.ok(await store.authorizationCodes.find(live.hash))
      assert.ok(await store.authorizationCodes.find(edge.hash), 'not expired before now')
      for (const c of expired) assert.equal(await store.authorizationCodes.find(c.hash), null)
    })

    it('pages codes in hash order and inserts complete rows back', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const codes = Array.from({ length: 5 }, () => newCode(user.id))
      codes[0] = { ...(codes[0] as AuthorizationCodeRecord), usedAt: T1, sessionId: 'sess' }
      for (const c of codes) await store.authorizationCodes.insertRecord(c)
      const seen: AuthorizationCodeRecord[] = []
      let after: string | null = null
      for (;;) {
        const page = await store.authorizationCodes.page(after, 2)
        if (page.length === 0) break
        seen.push(...page)
        after = page.at(-1)?.hash ?? null
      }
      const byHash = (a: { hash: string }, b: { hash: string }) => (a.hash < b.hash ? -1 : 1)
      assert.deepEqual(seen, [...codes].sort(byHash))
    })

    it('refuses (and spends) a code whose browser session ended or is gone: a logout beats a late exchange', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const ended = newCode(user.id)
      const gone = newCode(user.id)
      for (const c of [ended, gone]) await store.authorizationCodes.insert(c)
      await store.browserSessions.create(newBrowserSession(user.id, { id: ended.browserSessionId }))
      assert.equal(await store.browserSessions.end(ended.browserSessionId, T0), true)
      for (const c of [ended, gone]) {
        const session = newSession(user.id, { browserSessionId: c.browserSessionId })
        assert.deepEqual(await store.authorizationCodes.redeem(c.hash, T0, session, 'rt-x'), {
          outcome: 'invalid',
        })
        assert.equal(await store.sessions.findById(session.id), null)
        assert.equal(await store.sessions.findRefreshToken('rt-x'), null)
        assert.notEqual((await store.authorizationCodes.find(c.hash))?.usedAt, null)
      }
    })

    it("never leaves a live session when a code exchange races the end of all the user's sessions", async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < 10; round++) {
        const code = newCode(user.id)
        await store.authorizationCodes.insert(code)
        await store.browserSessions.create(
          newBrowserSession(user.id, { id: code.browserSessionId }),
        )
        const session = newSession(user.id, { browserSessionId: code.browserSessionId })
        await Promise.all([
          store.authorizationCodes.redeem(code.hash, T0, session, `rt-race-${round}`),
          store.sessions.revokeAllForUser(user.id, T0, null),
        ])
        const stored = await store.sessions.findById(session.id)
        assert.ok(stored === null || stored.revokedAt !== null, `round ${round}: a live session`)
        assert.notEqual(
          (await store.browserSessions.findById(code.browserSessionId))?.endedAt,
          null,
        )
      }
    })

    it('deletes a user with their codes', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const code = newCode(user.id)
      await store.authorizationCodes.insert(code)
      await store.users.delete(user.id)
      assert.equal(await store.authorizationCodes.find(code.hash), null)
    })
  })

  describe('browser sessions', () => {
    it('finds a session by its secret hash with its user, and by id', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const s = newBrowserSession(user.id)
      const bare = newBrowserSession(user.id, { ip: null, userAgent: null, amr: [] })
      await store.browserSessions.create(s)
      await store.browserSessions.create(bare)
      assert.deepEqual(await store.browserSessions.findBySecret(s.secretHash), { session: s, user })
      assert.deepEqual(await store.browserSessions.findById(bare.id), bare)
      assert.equal(await store.browserSessions.findBySecret('nope'), null)
      assert.equal(await store.browserSessions.findById('nope'), null)
      await rejectsUnique(store.browserSessions.create({ ...bare, secretHash: 'other' }), 'id')
      await rejectsUnique(
        store.browserSessions.create(newBrowserSession(user.id, { secretHash: s.secretHash })),
        'id',
      )
    })

    it('touches: moves the last use and the idle expiry, never past the absolute one', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const s = newBrowserSession(user.id, { idleExpiresAt: T1, absoluteExpiresAt: T2 })
      await store.browserSessions.create(s)
      assert.equal(await store.browserSessions.touch(s.id, T1, T2), true)
      let found = await store.browserSessions.findById(s.id)
      assert.deepEqual([found?.lastSeenAt, found?.idleExpiresAt], [T1, T2])
      assert.equal(await store.browserSessions.touch(s.id, T2, T3), true)
      found = await store.browserSessions.findById(s.id)
      assert.deepEqual([found?.lastSeenAt, found?.idleExpiresAt], [T2, T2])
      assert.equal(await store.browserSessions.touch('nope', T2, T3), false)
    })

    it('ends once, revoking the token sessions started from it and no others', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const b = newBrowserSession(user.id)
      const other = newBrowserSession(user.id)
      for (const s of [b, other]) await store.browserSessions.create(s)
      const fromB = [
        newSession(user.id, { browserSessionId: b.id }),
        newSession(user.id, { browserSessionId: b.id }),
      ]
      const fromOther = newSession(user.id, { browserSessionId: other.id })
      const password = newSession(user.id)
      for (const s of [...fromB, fromOther, password]) await store.sessions.create(s, null)
      assert.equal(await store.browserSessions.end(b.id, T1), true)
      assert.equal((await store.browserSessions.findById(b.id))?.endedAt, T1)
      for (const s of fromB) assert.equal((await store.sessions.findById(s.id))?.revokedAt, T1)
      assert.equal(await revoked(store, fromOther.id), false)
      assert.equal(await revoked(store, password.id), false)
      assert.equal((await store.browserSessions.findById(other.id))?.endedAt, null)
      assert.equal(await store.browserSessions.end(b.id, T2), false)
      assert.equal((await store.browserSessions.findById(b.id))?.endedAt, T1, 'kept')
      assert.equal(await store.browserSessions.end('nope', T2), false)
    })

    it('revokes a session started from an already ended browser session when ended again', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const b = newBrowserSession(user.id)
      await store.browserSessions.create(b)
      await store.browserSessions.end(b.id, T1)
      const late = newSession(user.id, { browserSessionId: b.id })
      await store.sessions.create(late, null)
      assert.equal(await store.browserSessions.end(b.id, T2), false)
      assert.equal((await store.sessions.findById(late.id))?.revokedAt, T2)
    })

    it('are ended by revoking all of the user’s sessions, and no other user’s', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const mine = [newBrowserSession(user.id), newBrowserSession(user.id)]
      const theirs = newBrowserSession(other.id)
      for (const s of [...mine, theirs]) await store.browserSessions.create(s)
      const kept = newSession(user.id)
      await store.sessions.create(kept, null)
      assert.equal(await store.sessions.revokeAllForUser(user.id, T1, kept.id), 0)
      for (const s of mine) assert.equal((await store.browserSessions.findById(s.id))?.endedAt, T1)
      assert.equal((await store.browserSessions.findById(theirs.id))?.endedAt, null)
    })

    it('purges sessions ended or expired before now, in batches, keeping live ones', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const live = newBrowserSession(user.id, { idleExpiresAt: T2, absoluteExpiresAt: T2 })
      const gone = [
        newBrowserSession(user.id, { endedAt: T0 }),
        newBrowserSession(user.id, { idleExpiresAt: T0 }),
        newBrowserSession(user.id, { idleExpiresAt: T0, absoluteExpiresAt: T0 }),
      ]
      for (const s of [live, ...gone]) await store.browserSessions.create(s)
      assert.equal(await store.browserSessions.purge(T1, 2), 2)
      assert.equal(await store.browserSessions.purge(T1, 2), 1)
      assert.equal(await store.browserSessions.purge(T1, 2), 0)
      assert.ok(await store.browserSessions.findById(live.id))
      for (const s of gone) assert.equal(await store.browserSessions.findById(s.id), null)
    })

    it('pages in id order, inserts complete rows back, and goes with its user', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const all = Array.from({ length: 5 }, () => newBrowserSession(user.id))
      all[0] = { ...(all[0] as BrowserSessionRecord), endedAt: T1 }
      for (const s of all) await store.browserSessions.insertRecord(s)
      const seen: BrowserSessionRecord[] = []
      let after: string | null = null
      for (;;) {
        const page = await store.browserSessions.page(after, 2)
        if (page.length === 0) break
        seen.push(...page)
        after = page.at(-1)?.id ?? null
      }
      assert.deepEqual(
        seen,
        [...all].sort((a, b) => (a.id < b.id ? -1 : 1)),
      )
      await store.users.delete(user.id)
      assert.deepEqual(await store.browserSessions.page(null, 10), [])
    })
  })

  describe('consents', () => {
    it('grants scopes, adding to what was allowed, per user and client', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      assert.equal(await store.consents.find(user.id, 'web'), null)
      await store.consents.grant(user.id, 'web', ['profile', 'openid'], T0)
      assert.deepEqual(await store.consents.find(user.id, 'web'), {
        userId: user.id,
        clientId: 'web',
        scopes: ['openid', 'profile'],
        createdAt: T0,
        updatedAt: T0,
      })
      await store.consents.grant(user.id, 'web', ['email', 'profile'], T1)
      assert.deepEqual(await store.consents.find(user.id, 'web'), {
        userId: user.id,
        clientId: 'web',
        scopes: ['email', 'openid', 'profile'],
        createdAt: T0,
        updatedAt: T1,
      })
      assert.equal(await store.consents.find(other.id, 'web'), null)
      assert.equal(await store.consents.find(user.id, 'app'), null)
    })

    it('keeps every scope of many concurrent grants', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < 3; round++) {
        const client = `c-${round}`
        const scopes = Array.from({ length: 10 }, (_, i) => `s${i}`)
        await Promise.all(scopes.map((s) => store.consents.grant(user.id, client, [s], T0)))
        assert.deepEqual((await store.consents.find(user.id, client))?.scopes, [...scopes].sort())
      }
    })

    it('revokes a consent with the user’s sessions of that client only', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      await store.consents.grant(user.id, 'web', ['openid'], T0)
      await store.consents.grant(user.id, 'app', ['openid'], T0)
      await store.consents.grant(other.id, 'web', ['openid'], T0)
      const ofWeb = [
        newSession(user.id, { clientId: 'web' }),
        newSession(user.id, { clientId: 'web' }),
      ]
      const ofApp = newSession(user.id, { clientId: 'app' })
      const theirs = newSession(other.id, { clientId: 'web' })
      for (const s of [...ofWeb, ofApp, theirs]) await store.sessions.create(s, null)
      assert.equal(await store.consents.revoke(user.id, 'web', T1), true)
      assert.equal(await store.consents.find(user.id, 'web'), null)
      for (const s of ofWeb) assert.equal((await store.sessions.findById(s.id))?.revokedAt, T1)
      assert.equal(await revoked(store, ofApp.id), false)
      assert.equal(await revoked(store, theirs.id), false)
      assert.ok(await store.consents.find(other.id, 'web'))
      assert.ok(await store.consents.find(user.id, 'app'))
      assert.equal(await store.consents.revoke(user.id, 'web', T2), false)
    })

    it('revokes no session when there was no consent', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const s = newSession(user.id, { clientId: 'first-party' })
      await store.sessions.create(s, null)
      assert.equal(await store.consents.revoke(user.id, 'first-party', T1), false)
      assert.equal(await revoked(store, s.id), false)
    })

    it('lists a user’s consents in client id order; pages all and inserts them back', async (t) => {
      const store = await fresh(t)
      const [a, b] = [await store.users.create(newUser()), await store.users.create(newUser())]
      for (const c of ['web', 'app', 'cli']) await store.consents.grant(a.id, c, ['openid'], T0)
      await store.consents.grant(b.id, 'web', ['email'], T1)
      assert.deepEqual(
        (await store.consents.listForUser(a.id)).map((c) => c.clientId),
        ['app', 'cli', 'web'],
      )
      assert.deepEqual(await store.consents.listForUser(randomUUID()), [])
      const seen: string[] = []
      let after: { userId: string; clientId: string } | null = null
      for (;;) {
        const page = await store.consents.page(after, 2)
        if (page.length === 0) break
        seen.push(...page.map((c) => `${c.userId}/${c.clientId}`))
        const last = page.at(-1)
        after = last ? { userId: last.userId, clientId: last.clientId } : null
      }
      const expected = [...['app', 'cli', 'web'].map((c) => `${a.id}/${c}`), `${b.id}/web`].sort()
      assert.deepEqual(seen, expected)
      const target = await fresh(t)
      const user = await target.users.create({ ...newUser(), id: b.id })
      const record = await store.consents.find(b.id, 'web')
      assert.ok(record)
      await target.consents.insertRecord(record)
      assert.deepEqual(await target.consents.find(user.id, 'web'), record)
    })

    it('deletes a user with their consents', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      await store.consents.grant(user.id, 'web', ['openid'], T0)
      await store.users.delete(user.id)
      assert.deepEqual(await store.consents.page(null, 10), [])
    })
  })
}
