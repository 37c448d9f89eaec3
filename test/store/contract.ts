/**
 * The storage contract: every Store engine (SQLite, PostgreSQL) runs this same suite.
 * Only the Store interface of src/store/store.ts is used here, never an engine's specifics.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { type Store, StoreUnavailableError, UniqueViolationError } from '../../src/store/store.js'
import { auditContract } from './contract-audit.js'
import { authorizationContract, newBrowserSession, newCode } from './contract-authorization.js'
import { clientsContract } from './contract-clients.js'
import { countersContract } from './contract-counters.js'
import {
  EPOCH,
  newClient,
  newEvent,
  newKey,
  newSession,
  newUser,
  rejectsUnique,
  T0,
  T1,
  T2,
} from './contract-helpers.js'
import { mfaContract, newPasskey, newTotp } from './contract-mfa.js'
import { revokedTokensContract } from './contract-revoked-tokens.js'
import { userAdminContract } from './contract-users.js'

/**
 * Runs the Store contract against the engine that `open` creates. `open` must return a fresh,
 * empty store each time it is called; every test opens its own and closes it.
 */
export function storeContract(name: string, open: () => Promise<Store> | Store): void {
  /** A fresh, migrated store that is closed when the test ends. */
  async function fresh(t: TestContext): Promise<Store> {
    const store = await open()
    t.after(() => store.close())
    await store.migrate()
    return store
  }

  describe(`Store contract: ${name}`, () => {
    describe('users', () => {
      it('creates a user that is active with updatedAt equal to createdAt', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        const created = await store.users.create(input)
        assert.deepEqual(created, {
          ...input,
          roles: ['user'],
          disabled: false,
          emailVerified: false,
          updatedAt: input.createdAt,
        })
      })

      it('finds a created user by id, by username and by canonical email', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        const created = await store.users.create(input)
        assert.deepEqual(await store.users.findById(input.id), created)
        assert.deepEqual(await store.users.findByUsername(input.username), created)
        assert.ok(input.emailCanonical)
        assert.deepEqual(await store.users.findByEmail(input.emailCanonical), created)
      })

      it('returns null for an id, username or email that does not exist', async (t) => {
        const store = await fresh(t)
        await store.users.create(newUser())
        assert.equal(await store.users.findById(randomUUID()), null)
        assert.equal(await store.users.findByUsername('nobody-here'), null)
        assert.equal(await store.users.findByEmail('nobody@example.com'), null)
      })

      it('keeps optional email and full name as null', async (t) => {
        const store = await fresh(t)
        const input = newUser({ email: null, emailCanonical: null, fullName: null })
        await store.users.create(input)
        const found = await store.users.findById(input.id)
        assert.ok(found)
        assert.equal(found.email, null)
        assert.equal(found.emailCanonical, null)
        assert.equal(found.fullName, null)
      })

      it('allows many users without an email', async (t) => {
        const store = await fresh(t)
        const a = newUser({ email: null, emailCanonical: null })
        const b = newUser({ email: null, emailCanonical: null })
        await store.users.create(a)
        await store.users.create(b)
        assert.equal((await store.users.findById(a.id))?.username, a.username)
        assert.equal((await store.users.findById(b.id))?.username, b.username)
      })

      it('rejects a taken username with UniqueViolationError naming username', async (t) => {
        const store = await fresh(t)
        const first = newUser()
        await store.users.create(first)
        await rejectsUnique(store.users.create(newUser({ username: first.username })), 'username')
        assert.equal((await store.users.findByUsername(first.username))?.id, first.id)
      })

      it('rejects a taken canonical email with UniqueViolationError naming email', async (t) => {
        const store = await fresh(t)
        const first = newUser()
        await store.users.create(first)
        const second = newUser({ email: first.email, emailCanonical: first.emailCanonical })
        await rejectsUnique(store.users.create(second), 'email')
        assert.equal(await store.users.findById(second.id), null)
      })

      it('rejects a taken id with UniqueViolationError naming id', async (t) => {
        const store = await fresh(t)
        const first = newUser()
        await store.users.create(first)
        const second = newUser({ id: first.id })
        await rejectsUnique(store.users.create(second), 'id')
        assert.equal(await store.users.findByUsername(second.username), null)
        assert.equal((await store.users.findById(first.id))?.username, first.username)
      })

      it('replaces the password hash when the expected hash is still current', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        await store.users.create(input)
        const replaced = await store.users.replacePasswordHash(
          input.id,
          input.passwordHash,
          'next-hash',
          T1,
        )
        assert.equal(replaced, true)
        const found = await store.users.findById(input.id)
        assert.equal(found?.passwordHash, 'next-hash')
        assert.equal(found?.updatedAt, T1)
        assert.equal(found?.createdAt, T0)
      })

      it('does not replace the password hash when the expected hash is stale', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        await store.users.create(input)
        assert.equal(
          await store.users.replacePasswordHash(input.id, input.passwordHash, 'a', T1),
          true,
        )
        // A second rehash that read the old hash must lose, not overwrite the first.
        assert.equal(
          await store.users.replacePasswordHash(input.id, input.passwordHash, 'b', T2),
          false,
        )
        const found = await store.users.findById(input.id)
        assert.equal(found?.passwordHash, 'a')
        assert.equal(found?.updatedAt, T1)
      })

      it('reports false when replacing the hash of a user that does not exist', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        await store.users.create(input)
        const replaced = await store.users.replacePasswordHash(
          randomUUID(),
          input.passwordHash,
          'x',
          T1,
        )
        assert.equal(replaced, false)
        assert.equal((await store.users.findById(input.id))?.passwordHash, input.passwordHash)
      })

      it('lets exactly one of many concurrent rehashes from the same hash win', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        await store.users.create(input)
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.users.replacePasswordHash(input.id, input.passwordHash, `next-${i}`, T1),
          ),
        )
        const winners = results.flatMap((ok, i) => (ok ? [i] : []))
        assert.equal(winners.length, 1)
        assert.equal((await store.users.findById(input.id))?.passwordHash, `next-${winners[0]}`)
      })

      it('disables and re-enables a user, updating updatedAt', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        await store.users.create(input)
        assert.equal(await store.users.setDisabled(input.id, true, T1), true)
        let found = await store.users.findById(input.id)
        assert.equal(found?.disabled, true)
        assert.equal(found?.updatedAt, T1)
        assert.equal(await store.users.setDisabled(input.id, false, T2), true)
        found = await store.users.findById(input.id)
        assert.equal(found?.disabled, false)
        assert.equal(found?.updatedAt, T2)
      })

      it('reports false when disabling a user that does not exist', async (t) => {
        const store = await fresh(t)
        assert.equal(await store.users.setDisabled(randomUUID(), true, T1), false)
      })

      it('deletes a user once, after which the user and the username are gone', async (t) => {
        const store = await fresh(t)
        const input = newUser()
        const other = newUser()
        await store.users.create(input)
        await store.users.create(other)
        assert.equal(await store.users.delete(input.id), true)
        assert.equal(await store.users.findById(input.id), null)
        assert.equal(await store.users.findByUsername(input.username), null)
        assert.equal(await store.users.delete(input.id), false)
        assert.equal((await store.users.findById(other.id))?.username, other.username)
        // The username and email can be registered again.
        const again = newUser({
          username: input.username,
          email: input.email,
          emailCanonical: input.emailCanonical,
        })
        await store.users.create(again)
        assert.equal((await store.users.findByUsername(input.username))?.id, again.id)
      })

      it('lets exactly one of 50 concurrent creates of the same username succeed, repeatedly', async (t) => {
        const store = await fresh(t)
        for (let round = 0; round < 5; round++) {
          const username = `race-${round}`
          const attempts = Array.from({ length: 50 }, () => newUser({ username }))
          const results = await Promise.allSettled(attempts.map((u) => store.users.create(u)))
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [attempts[i]] : []))
          assert.equal(won.length, 1, `round ${round}: exactly one create succeeds`)
          for (const r of results) {
            if (r.status === 'rejected') {
              assert.ok(r.reason instanceof UniqueViolationError, `round ${round}: ${r.reason}`)
              assert.equal(r.reason.field, 'username')
            }
          }
          assert.equal((await store.users.findByUsername(username))?.id, won[0]?.id)
        }
      })

      it('creates 50 concurrent users with distinct names, all findable', async (t) => {
        const store = await fresh(t)
        const inputs = Array.from({ length: 50 }, () => newUser())
        await Promise.all(inputs.map((u) => store.users.create(u)))
        const found = await Promise.all(inputs.map((u) => store.users.findByUsername(u.username)))
        assert.deepEqual(
          found.map((u) => u?.id),
          inputs.map((u) => u.id),
        )
      })
    })

    describe('signing keys', () => {
      it('lists no keys in a fresh store', async (t) => {
        const store = await fresh(t)
        assert.deepEqual(await store.signingKeys.list(), [])
      })

      it('lists inserted keys newest first, with every field intact', async (t) => {
        const store = await fresh(t)
        const middle = newKey('kid-middle', T1)
        const oldest = newKey('kid-oldest', T0, 'EdDSA')
        const newest = newKey('kid-newest', T2)
        await store.signingKeys.insert(middle)
        await store.signingKeys.insert(oldest)
        await store.signingKeys.insert(newest)
        assert.deepEqual(await store.signingKeys.list(), [newest, middle, oldest])
      })

      it('revokes a key once, deleting its private half: the second revoke reports false', async (t) => {
        const store = await fresh(t)
        await store.signingKeys.insert(newKey('kid-a', T0))
        await store.signingKeys.insert(newKey('kid-b', T1))
        assert.equal(await store.signingKeys.revoke('kid-a', T2, null), true)
        assert.equal(
          await store.signingKeys.revoke('kid-a', '2026-06-02T00:00:00.000Z', newKey('kid-c', T2)),
          false,
        )
        const keys = await store.signingKeys.list()
        assert.deepEqual(
          keys.map((k) => [k.kid, k.retiredAt, k.privateJwk === null]),
          [
            ['kid-b', null, false],
            ['kid-a', T2, true],
          ],
          'the second revoke inserted no successor',
        )
      })

      it('inserts the successor of a revoked key in the same step', async (t) => {
        const store = await fresh(t)
        await store.signingKeys.insert(newKey('kid-a', T0))
        const successor = newKey('kid-next', T1)
        assert.equal(await store.signingKeys.revoke('kid-a', T1, successor), true)
        assert.deepEqual((await store.signingKeys.list())[0], successor)
      })

      it('revokes a key exactly once among concurrent revokers, with one successor', async (t) => {
        const store = await fresh(t)
        for (let round = 0; round < 5; round++) {
          await store.signingKeys.insert(newKey(`kid-${round}`, T0))
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.signingKeys.revoke(`kid-${round}`, T1, newKey(`next-${round}-${i}`, T1)),
            ),
          )
          assert.equal(results.filter(Boolean).length, 1)
        }
        const keys = await store.signingKeys.list()
        assert.equal(keys.filter((k) => k.kid.startsWith('next-')).length, 5)
      })

      it('reports false when revoking a key that does not exist, and inserts nothing', async (t) => {
        const store = await fresh(t)
        assert.equal(await store.signingKeys.revoke('kid-missing', T1, newKey('kid-x', T1)), false)
        assert.deepEqual(await store.signingKeys.list(), [])
      })

      it('replaces stored secrets only where they still hold the expected value', async (t) => {
        const store = await fresh(t)
        await store.signingKeys.insert(newKey('kid-a', T0))
        await store.secrets.insert({ name: 'device-key', value: 'clear', createdAt: T0 })
        await store.secrets.insert({ name: 'other', value: 'moved-on', createdAt: T0 })
        const user = await store.users.create(newUser())
        const totp = newTotp(user.id, { secret: 'CLEAR' })
        const moved = newTotp((await store.users.create(newUser())).id, { secret: 'MOVED' })
        for (const f of [totp, moved]) await store.mfaFactors.insert(f)
        const [key] = await store.signingKeys.list()
        const changed = await store.replaceSecrets([
          { table: 'signing_keys', id: 'kid-a', expected: key?.privateJwk ?? '', next: 'sealed-a' },
          { table: 'server_secrets', id: 'device-key', expected: 'clear', next: 'sealed-d' },
          { table: 'server_secrets', id: 'other', expected: 'stale', next: 'sealed-o' },
          { table: 'mfa_factors', id: totp.id, expected: 'CLEAR', next: 'sealed-t' },
          { table: 'mfa_factors', id: moved.id, expected: 'STALE', next: 'sealed-m' },
        ])
        assert.equal(changed, 3)
        assert.equal((await store.mfaFactors.findById(totp.id))?.secret, 'sealed-t')
        assert.equal((await store.mfaFactors.findById(moved.id))?.secret, 'MOVED')
        assert.equal((await store.signingKeys.list())[0]?.privateJwk, 'sealed-a')
        assert.deepEqual(
          (await store.secrets.list()).map((s) => [s.name, s.value]),
          [
            ['device-key', 'sealed-d'],
            ['other', 'moved-on'],
          ],
        )
        assert.equal(await store.replaceSecrets([]), 0)
      })
    })

    describe('sessions', () => {
      const session = newSession

      it('creates a session with its first refresh token, and finds both', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const s = session(user.id)
        await store.sessions.create(s, 'hash-0')
        assert.deepEqual(await store.sessions.findById(s.id), s)
        assert.deepEqual(await store.sessions.findRefreshToken('hash-0'), {
          hash: 'hash-0',
          sessionId: s.id,
          createdAt: T0,
          spentAt: null,
        })
        assert.equal(await store.sessions.findRefreshToken('nope'), null)
      })

      it('creates a session without a refresh token when given none', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const s = session(user.id)
        await store.sessions.create(s, null)
        assert.deepEqual(await store.sessions.findById(s.id), s)
        assert.equal((await store.counts()).refresh_tokens, 0)
      })

      it('finds a session together with its user in one lookup', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const s = session(user.id)
        await store.sessions.create(s, 'w0')
        assert.deepEqual(await store.sessions.findWithUser(s.id), { session: s, user })
        await store.users.setDisabled(user.id, true, T1)
        assert.equal((await store.sessions.findWithUser(s.id))?.user.disabled, true)
        assert.equal(await store.sessions.findWithUser('nope'), null)
      })

      it('rotates: spends the token, adds its successor, moves last use and idle expiry', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const s = session(user.id)
        await store.sessions.create(s, 'hash-0')
        assert.equal(await store.sessions.rotate('hash-0', 'hash-1', T1, T2), 'rotated')
        assert.equal((await store.sessions.findRefreshToken('hash-0'))?.spentAt, T1)
        assert.equal((await store.sessions.findRefreshToken('hash-1'))?.sessionId, s.id)
        assert.equal((await store.sessions.findById(s.id))?.lastUsedAt, T1)
        assert.equal(await store.sessions.rotate('hash-0', 'hash-x', T2, T2), 'spent')
        assert.equal(await store.sessions.findRefreshToken('hash-x'), null)
      })

      it('lets exactly one of many concurrent rotations of one token win, every time', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        for (let round = 0; round < 20; round++) {
          const s = session(user.id)
          await store.sessions.create(s, `r${round}`)
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.sessions.rotate(`r${round}`, `r${round}-${i}`, T1, T2),
            ),
          )
          assert.equal(outcomes.filter((o) => o === 'rotated').length, 1)
          const successors = await Promise.all(
            Array.from({ length: 10 }, (_, i) => store.sessions.findRefreshToken(`r${round}-${i}`)),
          )
          assert.equal(successors.filter(Boolean).length, 1, 'only the winner inserted a successor')
        }
      })

      it('revokes one session, or all of a user except one', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const other = await store.users.create(newUser())
        const [a, b, c] = [session(user.id), session(user.id), session(user.id)]
        const theirs = session(other.id)
        for (const [i, s] of [a, b, c, theirs].entries()) await store.sessions.create(s, `h${i}`)
        assert.equal(await store.sessions.revoke(a.id, T1), true)
        assert.equal(await store.sessions.revoke(a.id, T2), false)
        assert.equal(await store.sessions.revokeAllForUser(user.id, T1, c.id), 1)
        assert.equal((await store.sessions.findById(b.id))?.revokedAt, T1)
        assert.equal((await store.sessions.findById(c.id))?.revokedAt, null)
        assert.equal((await store.sessions.findById(theirs.id))?.revokedAt, null)
        assert.equal(await store.sessions.revokeAllForUser(user.id, T2, null), 1)
        assert.equal((await store.sessions.listForUser(user.id)).length, 3)
      })

      it('purges revoked and expired sessions with their tokens, in batches, keeping live ones', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const live = session(user.id, { idleExpiresAt: T2, absoluteExpiresAt: T2 })
        const idle = session(user.id, { idleExpiresAt: T0 })
        const old = session(user.id, { absoluteExpiresAt: T0 })
        const revoked = session(user.id, { revokedAt: T0 })
        for (const [i, s] of [live, idle, old, revoked].entries())
          await store.sessions.create(s, `p${i}`)
        assert.equal(await store.sessions.purge(T1, 2), 2)
        assert.equal(await store.sessions.purge(T1, 2), 1)
        assert.equal(await store.sessions.purge(T1, 2), 0)
        assert.deepEqual(
          (await store.sessions.listForUser(user.id)).map((s) => s.id),
          [live.id],
        )
        assert.equal(await store.sessions.findRefreshToken('p1'), null)
        assert.ok(await store.sessions.findRefreshToken('p0'))
      })

      it('deletes a user with its sessions and tokens', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        const s = session(user.id)
        await store.sessions.create(s, 'd0')
        await store.users.delete(user.id)
        assert.equal(await store.sessions.findById(s.id), null)
        assert.equal(await store.sessions.findRefreshToken('d0'), null)
      })

      it('stores a shared secret once, whoever asks first', async (t) => {
        const store = await fresh(t)
        const values = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.secrets.getOrCreate('k', `v${i}`, T0)),
        )
        assert.equal(new Set(values).size, 1)
        assert.equal(await store.secrets.getOrCreate('k', 'other', T1), values[0])
        assert.deepEqual(await store.secrets.list(), [
          { name: 'k', value: values[0], createdAt: T0 },
        ])
      })
    })

    describe('legacy hashes', () => {
      it('reports the highest bcrypt cost left, or null', async (t) => {
        const store = await fresh(t)
        await store.users.create(newUser())
        assert.equal(await store.users.maxLegacyCost(), null)
        await store.users.create(newUser({ passwordHash: `$2b$10$${'a'.repeat(53)}` }))
        await store.users.create(newUser({ passwordHash: `$2a$12$${'b'.repeat(53)}` }))
        assert.equal(await store.users.maxLegacyCost(), 12)
      })
    })

    describe('copying', () => {
      it('pages users in id order and re-inserts complete rows as they are', async (t) => {
        const store = await fresh(t)
        const inputs = Array.from({ length: 7 }, () => newUser())
        for (const input of inputs) await store.users.create(input)
        await store.users.setDisabled(inputs[0]?.id ?? '', true, T1)
        const seen: string[] = []
        let after: string | null = null
        for (;;) {
          const page = await store.users.page(after, 3)
          if (page.length === 0) break
          assert.ok(page.length <= 3)
          seen.push(...page.map((u) => u.id))
          after = page.at(-1)?.id ?? null
        }
        assert.deepEqual(seen, inputs.map((u) => u.id).sort())
        const target = await fresh(t)
        const original = await store.users.findById(inputs[0]?.id ?? '')
        assert.ok(original)
        await target.users.insertRecord(original)
        assert.deepEqual(await target.users.findById(original.id), original)
        assert.equal(original.disabled, true)
        assert.equal(original.updatedAt, T1)
        await rejectsUnique(
          target.users.insertRecord({ ...original, username: 'other-name', emailCanonical: null }),
          'id',
        )
      })

      it('counts the rows of every table and clears them all', async (t) => {
        const store = await fresh(t)
        const user = await store.users.create(newUser())
        await store.users.create(newUser())
        await store.signingKeys.insert(newKey('k1', T0))
        await store.secrets.getOrCreate('s', 'v', T0)
        await store.sessions.create(newSession(user.id), 'c0')
        await store.sessions.rotate('c0', 'c1', T1, T2)
        await store.clients.create(newClient('app'))
        await store.clients.create(newClient('cli'))
        await store.clients.create(newClient('web'))
        for (const i of [1, 2, 3, 4]) await store.audit.insert(newEvent(i, { userId: user.id }))
        await store.revokedTokens.add('jti-1', T2)
        const reset = {
          hash: 'email-token',
          purpose: 'reset_password' as const,
          userId: user.id,
          email: user.email ?? '',
          emailCanonical: user.emailCanonical ?? '',
          createdAt: T0,
          expiresAt: T2,
          usedAt: null,
        }
        const message = {
          id: 'message',
          kind: 'reset_password',
          recipient: user.email ?? '',
          subject: 'Reset your password',
          textBody: 'text',
          htmlBody: 'html',
          createdAt: T0,
          attempts: 0,
          nextAttemptAt: T0,
          claimedBy: null,
          claimedUntil: null,
          sentAt: null,
          failedAt: null,
          lastError: null,
        }
        await store.emailTokens.issue(reset, message, true)
        await store.outbox.enqueue({ ...message, id: 'notice' })
        await store.browserSessions.create(newBrowserSession(user.id))
        await store.authorizationCodes.insert(newCode(user.id))
        await store.authorizationCodes.insert(newCode(user.id))
        for (const c of ['app', 'cli', 'web'])
          await store.consents.grant(user.id, c, ['openid'], T0)
        await store.mfaFactors.insert(newTotp(user.id))
        await store.mfaFactors.insert(newPasskey(user.id))
        await store.recoveryCodes.replace(user.id, ['r1', 'r2', 'r3'], T0)
        assert.deepEqual(await store.counts(), {
          users: 2,
          signing_keys: 1,
          server_secrets: 1,
          sessions: 1,
          refresh_tokens: 2,
          clients: 3,
          audit_events: 4,
          revoked_tokens: 1,
          email_tokens: 1,
          mail_outbox: 2,
          browser_sessions: 1,
          authorization_codes: 2,
          consents: 3,
          mfa_factors: 2,
          recovery_codes: 3,
        })
        await store.clear()
        assert.deepEqual(Object.values(await store.counts()), Array(15).fill(0))
        assert.deepEqual(await store.clients.list(), [])
        assert.deepEqual(await store.audit.page(null, 10), [])
      })

      it('keeps a retired key retired when inserting it', async (t) => {
        const store = await fresh(t)
        await store.signingKeys.insert({ ...newKey('old', T0), retiredAt: T1 })
        const [key] = await store.signingKeys.list()
        assert.equal(key?.retiredAt, T1)
      })
    })

    describe('first signing key', () => {
      it('inserts a key only when no unretired key of that alg exists', async (t) => {
        const store = await fresh(t)
        assert.equal(await store.signingKeys.insertIfNoneSince(newKey('a', T0), EPOCH), true)
        assert.equal(await store.signingKeys.insertIfNoneSince(newKey('b', T1), EPOCH), false)
        assert.equal(
          await store.signingKeys.insertIfNoneSince(newKey('c', T1, 'EdDSA'), EPOCH),
          true,
        )
        await store.signingKeys.revoke('a', T2, null)
        assert.equal(await store.signingKeys.insertIfNoneSince(newKey('d', T2), EPOCH), true)
        const kids = (await store.signingKeys.list()).map((k) => k.kid).sort()
        assert.deepEqual(kids, ['a', 'c', 'd'])
      })

      it('lets exactly one of many concurrent first inserts win', async (t) => {
        const store = await fresh(t)
        for (let round = 0; round < 5; round++) {
          const alg = `alg-${round}`
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              store.signingKeys.insertIfNoneSince(newKey(`r${round}-${i}`, T0, alg), EPOCH),
            ),
          )
          assert.equal(results.filter(Boolean).length, 1)
        }
      })
    })

    userAdminContract(fresh)
    clientsContract(fresh)
    revokedTokensContract(fresh)
    countersContract(fresh)
    auditContract(fresh)
    authorizationContract(fresh)
    mfaContract(fresh)

    describe('lifecycle', () => {
      it('names its engine', async (t) => {
        const store = await fresh(t)
        assert.equal(typeof store.engine, 'string')
        assert.notEqual(store.engine, '')
      })

      it('answers ping', async (t) => {
        const store = await fresh(t)
        await store.ping()
      })

      it('migrates idempotently: the second migrate applies nothing and keeps data', async () => {
        const store = await open()
        try {
          const first = await store.migrate()
          for (const version of first) assert.ok(Number.isInteger(version) && version > 0)
          assert.deepEqual(
            first,
            [...first].sort((a, b) => a - b),
            'versions are applied in order',
          )
          const input = newUser()
          await store.users.create(input)
          assert.deepEqual(await store.migrate(), [])
          assert.equal((await store.users.findById(input.id))?.username, input.username)
        } finally {
          await store.close()
        }
      })

      it('rejects calls after close with StoreUnavailableError', async () => {
        const store = await open()
        await store.migrate()
        await store.close()
        await assert.rejects(store.ping(), StoreUnavailableError)
        await assert.rejects(store.users.findById(randomUUID()), StoreUnavailableError)
      })
    })
  })
}
