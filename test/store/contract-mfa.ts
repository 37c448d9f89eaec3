/** The Store contract for second factors, recovery codes, MFA tokens and WebAuthn challenges. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type {
  MfaFactorRecord,
  MfaTokenRecord,
  Store,
  WebAuthnChallengeRecord,
} from '../../src/store/store.js'
import { newBrowserSession } from './contract-authorization.js'
import { type Fresh, newSession, newUser, rejectsUnique, T0, T1, T2 } from './contract-helpers.js'

const ROUNDS = 5
const many = <T>(n: number, call: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => call(i)))

export function newTotp(userId: string, overrides: Partial<MfaFactorRecord> = {}): MfaFactorRecord {
  return {
    id: randomUUID(),
    userId,
    kind: 'totp',
    name: 'Authenticator app',
    secret: 'JBSWY3DPEHPK3PXP',
    lastStep: null,
    credentialId: null,
    publicKey: null,
    signCount: null,
    transports: [],
    backupEligible: false,
    backedUp: false,
    createdAt: T0,
    confirmedAt: null,
    lastUsedAt: null,
    ...overrides,
  }
}

export function newPasskey(
  userId: string,
  overrides: Partial<MfaFactorRecord> = {},
): MfaFactorRecord {
  return {
    ...newTotp(userId),
    kind: 'passkey',
    name: 'Laptop',
    secret: null,
    credentialId: `cred-${randomUUID()}`,
    publicKey: 'pQECAyYgASFYIA',
    signCount: 0,
    transports: ['internal', 'hybrid'],
    backupEligible: true,
    backedUp: false,
    confirmedAt: T0,
    ...overrides,
  }
}

export function newMfaToken(
  userId: string,
  overrides: Partial<MfaTokenRecord> = {},
): MfaTokenRecord {
  return {
    hash: `mfa-${randomUUID()}`,
    userId,
    clientId: 'app',
    scope: 'profile email',
    resource: null,
    authTime: T0,
    attempts: 0,
    createdAt: T0,
    expiresAt: T1,
    usedAt: null,
    ...overrides,
  }
}

export function newChallenge(
  userId: string | null,
  overrides: Partial<WebAuthnChallengeRecord> = {},
): WebAuthnChallengeRecord {
  return {
    id: randomUUID(),
    challenge: `challenge-${randomUUID()}`,
    purpose: 'register',
    userId,
    createdAt: T0,
    expiresAt: T1,
    usedAt: null,
    ...overrides,
  }
}

/** A user with a confirmed TOTP factor. */
async function withTotp(store: Store) {
  const user = await store.users.create(newUser())
  const totp = newTotp(user.id, { confirmedAt: T0 })
  await store.mfaFactors.insert(totp)
  return { user, totp }
}

const hashes = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`)

export function mfaContract(fresh: Fresh): void {
  describe('sign-ins by password alone, when a factor is added', () => {
    it('revokes single-factor sessions but the one kept, and ends single-factor browser logins', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const weak = newSession(user.id, { amr: ['pwd'] })
      const kept = newSession(user.id, { amr: ['pwd'] })
      const strong = newSession(user.id, { amr: ['pwd', 'otp', 'mfa'] })
      const passkey = newSession(user.id, { amr: ['hwk', 'user', 'mfa'] })
      // `mfa` must be a whole value: a look-alike is still one factor.
      const lookalike = newSession(user.id, { amr: ['pwd', 'xmfa'] })
      const someoneElse = newSession(other.id, { amr: ['pwd'] })
      for (const s of [weak, kept, strong, passkey, lookalike, someoneElse]) {
        await store.sessions.create(s, null)
      }
      const weakLogin = newBrowserSession(user.id, { amr: ['pwd'] })
      const strongLogin = newBrowserSession(user.id, { amr: ['pwd', 'otp', 'mfa'] })
      for (const b of [weakLogin, strongLogin]) await store.browserSessions.create(b)
      assert.equal(await store.sessions.revokeSingleFactorForUser(user.id, T1, kept.id), 2)
      const revokedAt = async (id: string) => (await store.sessions.findById(id))?.revokedAt
      assert.equal(await revokedAt(weak.id), T1)
      assert.equal(await revokedAt(lookalike.id), T1)
      for (const s of [kept, strong, passkey, someoneElse])
        assert.equal(await revokedAt(s.id), null)
      assert.equal((await store.browserSessions.findById(weakLogin.id))?.endedAt, T1)
      assert.equal((await store.browserSessions.findById(strongLogin.id))?.endedAt, null)
      assert.equal(await store.sessions.revokeSingleFactorForUser(user.id, T2, null), 1)
      assert.equal(await revokedAt(kept.id), T2)
    })
  })

  describe('second factors', () => {
    it('stores TOTP and passkey factors with every field intact, by id and credential id', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const totp = newTotp(user.id, { lastStep: 12, lastUsedAt: T1 })
      const passkey = newPasskey(user.id, { signCount: 4_000_000_000, backedUp: true })
      await store.mfaFactors.insert(totp)
      await store.mfaFactors.insert(passkey)
      assert.deepEqual(await store.mfaFactors.findById(totp.id), totp)
      assert.deepEqual(await store.mfaFactors.findById(passkey.id), passkey)
      assert.deepEqual(
        await store.mfaFactors.findByCredentialId(passkey.credentialId ?? ''),
        passkey,
      )
      assert.equal(await store.mfaFactors.findById(randomUUID()), null)
      assert.equal(await store.mfaFactors.findByCredentialId('unknown'), null)
    })

    it('lists a user’s factors oldest first, pending ones included, no other user’s', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const late = newPasskey(user.id, { createdAt: T2 })
      const pending = newTotp(user.id, { createdAt: T1 })
      const early = newPasskey(user.id, { createdAt: T0 })
      for (const f of [late, pending, early]) await store.mfaFactors.insert(f)
      await store.mfaFactors.insert(newPasskey(other.id))
      assert.deepEqual(
        (await store.mfaFactors.listForUser(user.id)).map((f) => f.id),
        [early.id, pending.id, late.id],
      )
      assert.deepEqual(await store.mfaFactors.listForUser(randomUUID()), [])
    })

    it('replaces a pending TOTP factor with a new one', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const first = newTotp(user.id)
      const second = newTotp(user.id, { secret: 'KRSXG5CTMVRXEZLU' })
      await store.mfaFactors.insert(first)
      await store.mfaFactors.insert(second)
      assert.equal(await store.mfaFactors.findById(first.id), null)
      assert.deepEqual(await store.mfaFactors.listForUser(user.id), [second])
    })

    it('keeps a confirmed TOTP factor and refuses a second one with UniqueViolationError', async (t) => {
      const store = await fresh(t)
      const { user, totp } = await withTotp(store)
      const next = newTotp(user.id)
      await rejectsUnique(store.mfaFactors.insert(next), 'id')
      assert.deepEqual(await store.mfaFactors.listForUser(user.id), [totp])
      // Another user's TOTP is not in the way.
      const other = await store.users.create(newUser())
      await store.mfaFactors.insert(newTotp(other.id))
    })

    it('refuses a passkey whose credential ID is registered, to anyone', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const passkey = newPasskey(user.id)
      await store.mfaFactors.insert(passkey)
      const twin = { credentialId: passkey.credentialId }
      await rejectsUnique(store.mfaFactors.insert(newPasskey(user.id, twin)), 'id')
      await rejectsUnique(store.mfaFactors.insert(newPasskey(other.id, twin)), 'id')
      assert.deepEqual(await store.mfaFactors.listForUser(other.id), [])
    })

    it('confirms the user’s pending factor once, and no other user’s', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const totp = newTotp(user.id)
      await store.mfaFactors.insert(totp)
      assert.equal(await store.mfaFactors.confirm(totp.id, other.id, T1), false)
      assert.equal((await store.mfaFactors.findById(totp.id))?.confirmedAt, null)
      assert.equal(await store.mfaFactors.confirm(totp.id, user.id, T1), true)
      assert.equal(await store.mfaFactors.confirm(totp.id, user.id, T2), false)
      assert.equal((await store.mfaFactors.findById(totp.id))?.confirmedAt, T1)
      assert.equal(await store.mfaFactors.confirm(randomUUID(), user.id, T1), false)
    })

    it('accepts only strictly increasing time steps of a confirmed TOTP factor', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const pending = newTotp(user.id)
      await store.mfaFactors.insert(pending)
      assert.equal(await store.mfaFactors.acceptStep(pending.id, 100, T1), false, 'pending')
      await store.mfaFactors.confirm(pending.id, user.id, T0)
      assert.equal(await store.mfaFactors.acceptStep(pending.id, 100, T1), true)
      assert.equal(await store.mfaFactors.acceptStep(pending.id, 100, T1), false, 'same step')
      assert.equal(await store.mfaFactors.acceptStep(pending.id, 99, T1), false, 'earlier step')
      assert.equal(await store.mfaFactors.acceptStep(pending.id, 101, T2), true)
      const stored = await store.mfaFactors.findById(pending.id)
      assert.equal(stored?.lastStep, 101)
      assert.equal(stored?.lastUsedAt, T2)
      const passkey = newPasskey(user.id)
      await store.mfaFactors.insert(passkey)
      assert.equal(await store.mfaFactors.acceptStep(passkey.id, 5, T1), false, 'a passkey')
      assert.equal(await store.mfaFactors.acceptStep(randomUUID(), 5, T1), false, 'unknown')
    })

    it('records a passkey assertion only when the counter is still the expected one', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const passkey = newPasskey(user.id, { signCount: 7 })
      await store.mfaFactors.insert(passkey)
      const next = { signCount: 8, backedUp: true }
      assert.equal(await store.mfaFactors.recordAssertion(passkey.id, 6, next, T1), false)
      assert.deepEqual(await store.mfaFactors.findById(passkey.id), passkey)
      assert.equal(await store.mfaFactors.recordAssertion(passkey.id, 7, next, T1), true)
      assert.deepEqual(await store.mfaFactors.findById(passkey.id), {
        ...passkey,
        signCount: 8,
        backedUp: true,
        lastUsedAt: T1,
      })
      assert.equal(await store.mfaFactors.recordAssertion(passkey.id, 7, next, T2), false, 'stale')
    })

    it('renames and deletes only the owner’s factor', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const passkey = newPasskey(user.id)
      await store.mfaFactors.insert(passkey)
      assert.equal(await store.mfaFactors.rename(passkey.id, other.id, 'Stolen'), false)
      assert.equal(await store.mfaFactors.delete(passkey.id, other.id), false)
      assert.equal((await store.mfaFactors.findById(passkey.id))?.name, 'Laptop')
      assert.equal(await store.mfaFactors.rename(passkey.id, user.id, 'Phone'), true)
      assert.equal((await store.mfaFactors.findById(passkey.id))?.name, 'Phone')
      assert.equal(await store.mfaFactors.delete(passkey.id, user.id), true)
      assert.equal(await store.mfaFactors.findById(passkey.id), null)
      assert.equal(await store.mfaFactors.delete(passkey.id, user.id), false)
      assert.equal(await store.mfaFactors.rename(passkey.id, user.id, 'Gone'), false)
    })

    it('deletes the recovery codes with the last confirmed factor, not before', async (t) => {
      const store = await fresh(t)
      const { user, totp } = await withTotp(store)
      const passkey = newPasskey(user.id)
      await store.mfaFactors.insert(passkey)
      await store.recoveryCodes.replace(user.id, hashes('a'), T0)
      assert.equal(await store.mfaFactors.delete(passkey.id, user.id), true)
      assert.equal(await store.recoveryCodes.remaining(user.id), 10, 'TOTP still confirmed')
      assert.equal(await store.mfaFactors.delete(totp.id, user.id), true)
      assert.equal(await store.recoveryCodes.remaining(user.id), 0)
      assert.equal((await store.recoveryCodes.page(null, 100)).length, 0)
    })

    it('keeps the recovery codes when a pending factor beside a confirmed one is deleted', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const passkey = newPasskey(user.id)
      const pending = newTotp(user.id)
      await store.mfaFactors.insert(passkey)
      await store.mfaFactors.insert(pending)
      await store.recoveryCodes.replace(user.id, hashes('b'), T0)
      assert.equal(await store.mfaFactors.delete(pending.id, user.id), true)
      assert.equal(await store.recoveryCodes.remaining(user.id), 10)
    })

    it('deletes every factor and recovery code of one user, counting the factors', async (t) => {
      const store = await fresh(t)
      const { user } = await withTotp(store)
      await store.mfaFactors.insert(newPasskey(user.id))
      await store.recoveryCodes.replace(user.id, hashes('c'), T0)
      const other = await withTotp(store)
      await store.recoveryCodes.replace(other.user.id, hashes('d'), T0)
      assert.equal(await store.mfaFactors.deleteAllForUser(user.id), 2)
      assert.deepEqual(await store.mfaFactors.listForUser(user.id), [])
      assert.equal(await store.recoveryCodes.remaining(user.id), 0)
      assert.deepEqual(await store.mfaFactors.listForUser(other.user.id), [other.totp])
      assert.equal(await store.recoveryCodes.remaining(other.user.id), 10)
      assert.equal(await store.mfaFactors.deleteAllForUser(user.id), 0)
    })

    it('lets exactly one of 20 concurrent acceptances of one step through, every round', async (t) => {
      const store = await fresh(t)
      const { totp } = await withTotp(store)
      for (let round = 0; round < ROUNDS; round++) {
        const step = 1000 + round
        const accepted = await many(20, () => store.mfaFactors.acceptStep(totp.id, step, T1))
        assert.equal(accepted.filter(Boolean).length, 1, `round ${round}`)
        assert.equal((await store.mfaFactors.findById(totp.id))?.lastStep, step)
      }
    })

    it('pages factors in id order and inserts complete rows back', async (t) => {
      const store = await fresh(t)
      const { user, totp } = await withTotp(store)
      const passkeys = [newPasskey(user.id), newPasskey(user.id, { backedUp: true })]
      for (const p of passkeys) await store.mfaFactors.insert(p)
      const all = [totp, ...passkeys].sort((a, b) => (a.id < b.id ? -1 : 1))
      assert.deepEqual(await store.mfaFactors.page(null, 2), all.slice(0, 2))
      assert.deepEqual(await store.mfaFactors.page(all[1]?.id ?? '', 2), all.slice(2))
      const target = await fresh(t)
      await target.users.insertRecord(user)
      for (const f of all) await target.mfaFactors.insertRecord(f)
      assert.deepEqual(await target.mfaFactors.page(null, 10), all)
    })
  })

  describe('recovery codes', () => {
    it('replaces the user’s whole set, used codes included, and no other user’s', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      await store.recoveryCodes.replace(user.id, hashes('old'), T0)
      await store.recoveryCodes.replace(other.id, hashes('other'), T0)
      assert.equal(await store.recoveryCodes.spend(user.id, 'old-0', T1), true)
      assert.equal(await store.recoveryCodes.remaining(user.id), 9)
      await store.recoveryCodes.replace(user.id, hashes('new'), T2)
      assert.equal(await store.recoveryCodes.remaining(user.id), 10)
      assert.equal(await store.recoveryCodes.spend(user.id, 'old-1', T2), false, 'voided')
      assert.equal(await store.recoveryCodes.remaining(other.id), 10)
      const mine = (await store.recoveryCodes.page(null, 100)).filter((c) => c.userId === user.id)
      assert.deepEqual(
        mine.map((c) => c.hash),
        hashes('new').sort(),
      )
      assert.ok(mine.every((c) => c.createdAt === T2 && c.usedAt === null))
    })

    it('spends a code once; an unknown or other user’s code spends nothing', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      await store.recoveryCodes.replace(user.id, hashes('e'), T0)
      assert.equal(await store.recoveryCodes.spend(other.id, 'e-3', T1), false)
      assert.equal(await store.recoveryCodes.spend(user.id, 'unknown', T1), false)
      assert.equal(await store.recoveryCodes.spend(user.id, 'e-3', T1), true)
      assert.equal(await store.recoveryCodes.spend(user.id, 'e-3', T2), false)
      assert.equal(await store.recoveryCodes.remaining(user.id), 9)
      const spent = (await store.recoveryCodes.page(null, 100)).find((c) => c.hash === 'e-3')
      assert.equal(spent?.usedAt, T1)
      assert.equal(await store.recoveryCodes.remaining(randomUUID()), 0)
    })

    it('lets exactly one of 20 concurrent spends of one code through, every round', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      await store.recoveryCodes.replace(user.id, hashes('f'), T0)
      for (let round = 0; round < ROUNDS; round++) {
        const spent = await many(20, () => store.recoveryCodes.spend(user.id, `f-${round}`, T1))
        assert.equal(spent.filter(Boolean).length, 1, `round ${round}`)
        assert.equal(await store.recoveryCodes.remaining(user.id), 9 - round)
      }
    })

    it('pages codes in hash order and inserts complete rows back', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      await store.recoveryCodes.replace(user.id, hashes('g'), T0)
      await store.recoveryCodes.spend(user.id, 'g-4', T1)
      const first = await store.recoveryCodes.page(null, 4)
      const rest = await store.recoveryCodes.page(first.at(-1)?.hash ?? '', 100)
      const all = [...first, ...rest]
      assert.deepEqual(
        all.map((c) => c.hash),
        hashes('g').sort(),
      )
      const target = await fresh(t)
      await target.users.insertRecord(user)
      for (const c of all) await target.recoveryCodes.insertRecord(c)
      assert.deepEqual(await target.recoveryCodes.page(null, 100), all)
      assert.equal(await target.recoveryCodes.remaining(user.id), 9)
    })
  })

  describe('MFA tokens', () => {
    it('finds a live token of its client only, until the instant it expires', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const token = newMfaToken(user.id, { resource: 'https://api.example/' })
      await store.mfaTokens.insert(token)
      assert.deepEqual(await store.mfaTokens.findLive(token.hash, 'app', T0), token)
      assert.equal(await store.mfaTokens.findLive(token.hash, 'other', T0), null)
      assert.equal(await store.mfaTokens.findLive(token.hash, 'app', T1), null, 'at its expiry')
      assert.equal(await store.mfaTokens.findLive('unknown', 'app', T0), null)
    })

    it('reserves attempts on a live token, counting each, until the limit', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const token = newMfaToken(user.id)
      await store.mfaTokens.insert(token)
      const reserve = () => store.mfaTokens.reserveAttempt(token.hash, 'app', 3, T0)
      assert.deepEqual(await reserve(), { ...token, attempts: 1 })
      assert.equal((await store.mfaTokens.findLive(token.hash, 'app', T0))?.attempts, 1)
      assert.equal((await reserve())?.attempts, 2)
      assert.equal((await reserve())?.attempts, 3)
      assert.equal(await reserve(), null, 'no attempt left')
      assert.equal(
        (await store.mfaTokens.findLive(token.hash, 'app', T0))?.attempts,
        3,
        'a refused reservation counts nothing',
      )
    })

    it('spends a token once and gives it back; a spent token reserves nothing', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const token = newMfaToken(user.id)
      await store.mfaTokens.insert(token)
      assert.equal((await store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T0))?.attempts, 1)
      assert.deepEqual(await store.mfaTokens.spend(token.hash, 'other', T0), null)
      assert.deepEqual(await store.mfaTokens.spend(token.hash, 'app', T0), {
        ...token,
        attempts: 1,
        usedAt: T0,
      })
      assert.equal(await store.mfaTokens.spend(token.hash, 'app', T0), null, 'already spent')
      assert.equal(await store.mfaTokens.findLive(token.hash, 'app', T0), null)
      assert.equal(await store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T0), null)
      assert.equal(await store.mfaTokens.spend('unknown', 'app', T0), null)
    })

    it('ends a token for lookups and reservations, while an attempt reserved before may still spend it', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const token = newMfaToken(user.id, { expiresAt: T2 })
      await store.mfaTokens.insert(token)
      assert.equal((await store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T0))?.attempts, 1)
      await store.mfaTokens.end(token.hash, 'other', T0)
      assert.equal((await store.mfaTokens.findLive(token.hash, 'app', T0))?.expiresAt, T2)
      await store.mfaTokens.end(token.hash, 'app', T0)
      assert.equal(await store.mfaTokens.findLive(token.hash, 'app', T0), null)
      assert.equal(await store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T0), null)
      assert.deepEqual(await store.mfaTokens.spend(token.hash, 'app', T1), {
        ...token,
        attempts: 1,
        expiresAt: T0,
        usedAt: T1,
      })
      // A spent token is not ended again: its record stays as it was spent.
      await store.mfaTokens.end(token.hash, 'app', T1)
      assert.equal(await store.mfaTokens.spend(token.hash, 'app', T1), null)
      assert.equal(await store.mfaTokens.purge(T1, 10), 1)
    })

    it('reserves nothing for another client, an unknown token or at the instant of expiry', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const token = newMfaToken(user.id)
      await store.mfaTokens.insert(token)
      assert.equal(await store.mfaTokens.reserveAttempt(token.hash, 'other', 5, T0), null)
      assert.equal(await store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T1), null)
      assert.equal(await store.mfaTokens.reserveAttempt('unknown', 'app', 5, T0), null)
      // None of these counted: the token is still live and unharmed for its client.
      assert.deepEqual(await store.mfaTokens.findLive(token.hash, 'app', T0), token)
    })

    it('grants exactly 5 of 20 concurrent reservations, every round', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < ROUNDS; round++) {
        const token = newMfaToken(user.id)
        await store.mfaTokens.insert(token)
        const results = await many(20, () =>
          store.mfaTokens.reserveAttempt(token.hash, 'app', 5, T0),
        )
        const granted = results.flatMap((r) => (r === null ? [] : [r.attempts]))
        granted.sort((a, b) => a - b)
        assert.deepEqual(granted, [1, 2, 3, 4, 5], `round ${round}: each count once`)
        assert.equal((await store.mfaTokens.findLive(token.hash, 'app', T0))?.attempts, 5)
      }
    })

    it('gives the token to exactly one of 20 concurrent spenders, every round', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < ROUNDS; round++) {
        const token = newMfaToken(user.id)
        await store.mfaTokens.insert(token)
        const results = await many(20, () => store.mfaTokens.spend(token.hash, 'app', T0))
        assert.equal(results.filter((r) => r !== null).length, 1, `round ${round}`)
        assert.equal(await store.mfaTokens.findLive(token.hash, 'app', T0), null)
      }
    })

    it('purges tokens expired or spent, in batches, keeping live ones', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const live = newMfaToken(user.id, { expiresAt: T2 })
      const expired = [0, 1, 2].map(() => newMfaToken(user.id, { expiresAt: T1 }))
      const spent = newMfaToken(user.id, { expiresAt: T2, usedAt: T0 })
      for (const tk of [live, ...expired, spent]) await store.mfaTokens.insert(tk)
      assert.equal(await store.mfaTokens.purge(T1, 3), 3)
      assert.equal(await store.mfaTokens.purge(T1, 3), 1)
      assert.equal(await store.mfaTokens.purge(T1, 3), 0)
      assert.deepEqual(await store.mfaTokens.findLive(live.hash, 'app', T1), live)
    })
  })

  describe('WebAuthn challenges', () => {
    it('consumes a challenge once, only for its purpose, user and before its expiry', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const other = await store.users.create(newUser())
      const challenge = newChallenge(user.id)
      await store.webauthnChallenges.insert(challenge)
      const consume = store.webauthnChallenges.consume
      assert.equal(await consume(challenge.id, 'authenticate', user.id, T0), null, 'purpose')
      assert.equal(await consume(challenge.id, 'register', other.id, T0), null, 'user')
      assert.equal(await consume(challenge.id, 'register', null, T0), null, 'no user')
      assert.equal(await consume(challenge.id, 'register', user.id, T1), null, 'at its expiry')
      assert.deepEqual(await consume(challenge.id, 'register', user.id, T0), {
        ...challenge,
        usedAt: T0,
      })
      assert.equal(await consume(challenge.id, 'register', user.id, T0), null, 'spent')
    })

    it('consumes a username-less challenge only without a user', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const challenge = newChallenge(null, { purpose: 'authenticate' })
      await store.webauthnChallenges.insert(challenge)
      const consume = store.webauthnChallenges.consume
      assert.equal(await consume(challenge.id, 'authenticate', user.id, T0), null)
      assert.equal((await consume(challenge.id, 'authenticate', null, T0))?.id, challenge.id)
    })

    it('gives a challenge to exactly one of 20 concurrent consumers, every round', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      for (let round = 0; round < ROUNDS; round++) {
        const challenge = newChallenge(round % 2 ? null : user.id)
        await store.webauthnChallenges.insert(challenge)
        const got = await many(20, () =>
          store.webauthnChallenges.consume(challenge.id, 'register', challenge.userId, T0),
        )
        assert.equal(got.filter(Boolean).length, 1, `round ${round}`)
      }
    })

    it('purges challenges expired or spent, in batches, keeping live ones', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser())
      const live = newChallenge(user.id, { expiresAt: T2 })
      const expired = [0, 1].map(() => newChallenge(null, { expiresAt: T1 }))
      const spent = newChallenge(user.id, { expiresAt: T2, usedAt: T0 })
      for (const c of [live, ...expired, spent]) await store.webauthnChallenges.insert(c)
      assert.equal(await store.webauthnChallenges.purge(T1, 2), 2)
      assert.equal(await store.webauthnChallenges.purge(T1, 2), 1)
      assert.equal(await store.webauthnChallenges.purge(T1, 2), 0)
      assert.equal(
        (await store.webauthnChallenges.consume(live.id, 'register', user.id, T1))?.id,
        live.id,
      )
    })
  })

  it('deletes a user with their factors, recovery codes, MFA tokens and challenges', async (t) => {
    const store = await fresh(t)
    const { user, totp } = await withTotp(store)
    const passkey = newPasskey(user.id)
    await store.mfaFactors.insert(passkey)
    await store.recoveryCodes.replace(user.id, hashes('h'), T0)
    const token = newMfaToken(user.id)
    await store.mfaTokens.insert(token)
    const challenge = newChallenge(user.id)
    await store.webauthnChallenges.insert(challenge)
    const keep = await withTotp(store)
    assert.equal(await store.users.delete(user.id), true)
    assert.equal(await store.mfaFactors.findById(totp.id), null)
    assert.equal(await store.mfaFactors.findByCredentialId(passkey.credentialId ?? ''), null)
    assert.equal((await store.recoveryCodes.page(null, 100)).length, 0)
    assert.equal(await store.mfaTokens.findLive(token.hash, 'app', T0), null)
    assert.equal(
      await store.webauthnChallenges.consume(challenge.id, 'register', user.id, T0),
      null,
    )
    assert.deepEqual(await store.mfaFactors.listForUser(keep.user.id), [keep.totp])
  })
}
