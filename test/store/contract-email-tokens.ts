/** The Store contract for email tokens: typed, single-use, issued with their message. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Redemption, type Store, UniqueViolationError } from '../../src/store/store.js'
import { newBrowserSession } from './contract-authorization.js'
import { type Fresh, newSession, newUser, T0, T1, T2 } from './contract-helpers.js'
import { newMessage, newToken } from './contract-mail-helpers.js'

const later = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString()
const reset = (id: string, passwordHash = 'new-hash'): Redemption => ({
  purpose: 'reset_password',
  passwordHash,
  notice: newMessage(id, { kind: 'password_changed' }),
})

async function userWithEmail(store: Store) {
  return store.users.create(newUser())
}

export function emailTokensContract(fresh: Fresh): void {
  describe('email tokens', () => {
    it('issues a token with its message, and neither when the message cannot be stored', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      await store.emailTokens.issue(
        newToken('h-1', 'reset_password', user),
        newMessage('m-1'),
        true,
      )
      assert.equal((await store.emailTokens.find('h-1', 'reset_password', T1))?.userId, user.id)
      assert.deepEqual(
        (await store.outbox.page(null, 10)).map((m) => m.id),
        ['m-1'],
      )
      // The message id is taken: the whole issue rolls back, the older token is not voided.
      await assert.rejects(
        store.emailTokens.issue(newToken('h-2', 'reset_password', user), newMessage('m-1'), true),
        (error) => error instanceof UniqueViolationError && error.field === 'id',
      )
      assert.equal(await store.emailTokens.find('h-2', 'reset_password', T1), null)
      assert.deepEqual(
        (await store.emailTokens.page(null, 10)).map((r) => r.hash),
        ['h-1'],
      )
      assert.ok(await store.emailTokens.find('h-1', 'reset_password', T1), 'not voided')
      assert.equal((await store.counts()).mail_outbox, 1)
      // Notices go in the same transaction: a notice that cannot be stored undoes it all.
      await assert.rejects(
        store.emailTokens.issue(newToken('h-3', 'change_email', user), newMessage('m-3'), true, [
          newMessage('m-1'),
        ]),
        (error) => error instanceof UniqueViolationError && error.field === 'id',
      )
      assert.equal(await store.emailTokens.find('h-3', 'change_email', T1), null)
      await store.emailTokens.issue(
        newToken('h-4', 'change_email', user),
        newMessage('m-4'),
        true,
        [newMessage('m-5')],
      )
      assert.deepEqual(
        (await store.outbox.page(null, 10)).map((m) => m.id),
        ['m-1', 'm-4', 'm-5'],
      )
    })

    it("voids the user's older tokens of the same purpose only, when asked", async (t) => {
      const store = await fresh(t)
      const [alice, bob] = [await userWithEmail(store), await userWithEmail(store)]
      const issue = (hash: string, purpose: 'reset_password' | 'verify_email', user = alice) =>
        store.emailTokens.issue(newToken(hash, purpose, user), newMessage(`m-${hash}`), true)
      await issue('reset-1', 'reset_password')
      await issue('verify-1', 'verify_email')
      await issue('bob-reset', 'reset_password', bob)
      await issue('reset-2', 'reset_password')
      assert.equal(await store.emailTokens.find('reset-1', 'reset_password', T1), null, 'voided')
      assert.ok(await store.emailTokens.find('reset-2', 'reset_password', T1))
      assert.ok(await store.emailTokens.find('verify-1', 'verify_email', T1), 'other purpose')
      assert.ok(await store.emailTokens.find('bob-reset', 'reset_password', T1), 'other user')
      assert.equal(
        (await store.emailTokens.redeem('reset-1', T1, reset('n-1'))).outcome,
        'invalid',
        'a voided token cannot be redeemed',
      )
      // Without voiding, both live.
      const token = newToken('reset-3', 'reset_password', alice)
      await store.emailTokens.issue(token, newMessage('m-reset-3'), false)
      assert.ok(await store.emailTokens.find('reset-2', 'reset_password', T1))
      assert.ok(await store.emailTokens.find('reset-3', 'reset_password', T1))
      // A password change voids every live reset token of the user, and says how many.
      assert.equal(await store.emailTokens.voidForUser(alice.id, 'reset_password', T1), 2)
      assert.equal(await store.emailTokens.voidForUser(alice.id, 'reset_password', T1), 0)
      assert.equal(await store.emailTokens.find('reset-3', 'reset_password', T1), null)
      assert.ok(await store.emailTokens.find('verify-1', 'verify_email', T1))
      assert.ok(await store.emailTokens.find('bob-reset', 'reset_password', T1))
      const voided = (await store.emailTokens.page(null, 10)).find((r) => r.hash === 'reset-3')
      assert.equal(voided?.usedAt, T1)
    })

    it('finds a token only by its purpose, while unused and before its expiry', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      const token = newToken('h', 'verify_email', user)
      await store.emailTokens.issue(token, newMessage('m'), true)
      assert.deepEqual(await store.emailTokens.find('h', 'verify_email', T0), token)
      assert.deepEqual(await store.emailTokens.find('h', 'verify_email', later(T2, -1)), token)
      assert.equal(await store.emailTokens.find('h', 'verify_email', T2), null, 'at its expiry')
      assert.equal(await store.emailTokens.find('h', 'reset_password', T1), null, 'wrong purpose')
      assert.equal(await store.emailTokens.find('h', 'change_email', T1), null, 'wrong purpose')
      assert.equal(await store.emailTokens.find('other', 'verify_email', T1), null, 'unknown')
      assert.equal(
        (await store.emailTokens.redeem('h', T1, { purpose: 'verify_email' })).outcome,
        'redeemed',
      )
      assert.equal(await store.emailTokens.find('h', 'verify_email', T1), null, 'used')
    })

    it('redeems a verification token once, marking the address verified', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      await store.emailTokens.issue(newToken('h', 'verify_email', user), newMessage('m'), true)
      // Wrong purpose, expired, unknown: invalid, and the token stays redeemable.
      assert.deepEqual(await store.emailTokens.redeem('h', T1, reset('n-1')), {
        outcome: 'invalid',
      })
      const change: Redemption = { purpose: 'change_email', notice: null }
      assert.deepEqual(await store.emailTokens.redeem('h', T1, change), { outcome: 'invalid' })
      const verify: Redemption = { purpose: 'verify_email' }
      assert.deepEqual(await store.emailTokens.redeem('h', T2, verify), { outcome: 'invalid' })
      assert.deepEqual(await store.emailTokens.redeem('nope', T1, verify), { outcome: 'invalid' })
      assert.equal((await store.users.findById(user.id))?.emailVerified, false)
      assert.equal((await store.users.findById(user.id))?.passwordHash, user.passwordHash)

      const redeemed = await store.emailTokens.redeem('h', T1, verify)
      assert.deepEqual(redeemed, {
        outcome: 'redeemed',
        token: { ...newToken('h', 'verify_email', user), usedAt: T1 },
      })
      const after = await store.users.findById(user.id)
      assert.equal(after?.emailVerified, true)
      assert.equal(after?.updatedAt, T1)
      assert.deepEqual(await store.emailTokens.redeem('h', T1, verify), { outcome: 'invalid' })
      assert.equal((await store.counts()).mail_outbox, 1, 'no notice for a verification')
    })

    it('refuses a verification token once the address is no longer the user’s', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      await store.emailTokens.issue(newToken('old', 'verify_email', user), newMessage('m-1'), true)
      const next = { id: user.id, email: 'New@Example.com', emailCanonical: 'new@example.com' }
      await store.emailTokens.issue(newToken('chg', 'change_email', next), newMessage('m-2'), true)
      const change: Redemption = { purpose: 'change_email', notice: null }
      assert.equal((await store.emailTokens.redeem('chg', T1, change)).outcome, 'redeemed')
      assert.equal((await store.users.findById(user.id))?.emailVerified, true)
      await store.users.setEmailVerified(user.id, false, T1)
      const verify: Redemption = { purpose: 'verify_email' }
      assert.deepEqual(await store.emailTokens.redeem('old', T1, verify), { outcome: 'invalid' })
      assert.equal((await store.users.findById(user.id))?.emailVerified, false)
    })

    it('changes the address on redemption, verified, with its notice', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      const next = { id: user.id, email: 'New@Example.com', emailCanonical: 'new@example.com' }
      await store.emailTokens.issue(newToken('chg', 'change_email', next), newMessage('m'), true)
      const notice = newMessage('notice', { kind: 'email_changed', recipient: user.email ?? '' })
      const change: Redemption = { purpose: 'change_email', notice }
      assert.deepEqual(await store.emailTokens.redeem('chg', T1, reset('n-1')), {
        outcome: 'invalid',
      })
      const done = await store.emailTokens.redeem('chg', T1, change)
      assert.equal(done.outcome, 'redeemed')
      const after = await store.users.findById(user.id)
      assert.deepEqual(
        [after?.email, after?.emailCanonical, after?.emailVerified, after?.updatedAt],
        ['New@Example.com', 'new@example.com', true, T1],
      )
      assert.deepEqual(await store.users.findByEmail('new@example.com'), after)
      assert.deepEqual(
        (await store.outbox.page(null, 10)).map((m) => m.id),
        ['m', 'notice'],
      )
      assert.deepEqual(await store.emailTokens.redeem('chg', T1, change), { outcome: 'invalid' })
    })

    it('answers email_taken when another user holds the address, keeping the token for later', async (t) => {
      const store = await fresh(t)
      const [alice, bob] = [await userWithEmail(store), await userWithEmail(store)]
      const bobsAddress = { id: alice.id, email: bob.email, emailCanonical: bob.emailCanonical }
      await store.emailTokens.issue(
        newToken('chg', 'change_email', bobsAddress),
        newMessage('m'),
        true,
      )
      const change: Redemption = {
        purpose: 'change_email',
        notice: newMessage('notice', { kind: 'email_changed' }),
      }
      assert.deepEqual(await store.emailTokens.redeem('chg', T1, change), {
        outcome: 'email_taken',
      })
      assert.deepEqual(await store.users.findById(alice.id), alice, 'alice unchanged')
      assert.equal((await store.counts()).mail_outbox, 1, 'no notice')
      assert.ok(await store.emailTokens.find('chg', 'change_email', T1), 'still unspent')
      // Once the address is free again, the same token completes the change.
      assert.equal(await store.users.delete(bob.id), true)
      assert.equal((await store.emailTokens.redeem('chg', T1, change)).outcome, 'redeemed')
      assert.equal((await store.users.findById(alice.id))?.emailCanonical, bob.emailCanonical)
      assert.equal((await store.counts()).mail_outbox, 2)
    })

    it('resets the password: verifies the address, ends every session, voids other resets, enqueues the notice', async (t) => {
      const store = await fresh(t)
      const [alice, bob] = [await userWithEmail(store), await userWithEmail(store)]
      const sessions = [newSession(alice.id), newSession(alice.id), newSession(bob.id)]
      for (const s of sessions) await store.sessions.create(s, null)
      await store.sessions.revoke(sessions[1]?.id ?? '', T0)
      const issue = (hash: string, purpose: 'reset_password' | 'verify_email', user = alice) =>
        store.emailTokens.issue(newToken(hash, purpose, user), newMessage(`m-${hash}`), false)
      await issue('reset-a', 'reset_password')
      await issue('reset-b', 'reset_password')
      await issue('verify', 'verify_email')
      await issue('bob-reset', 'reset_password', bob)
      // A verification token cannot reset a password.
      assert.deepEqual(await store.emailTokens.redeem('verify', T1, reset('n-0')), {
        outcome: 'invalid',
      })
      const done = await store.emailTokens.redeem('reset-a', T1, reset('notice', 'brand-new'))
      assert.equal(done.outcome, 'redeemed')
      const afterReset = await store.users.findById(alice.id)
      assert.equal(afterReset?.passwordHash, 'brand-new')
      assert.equal(afterReset?.emailVerified, true, 'the link reached the address: verified')
      assert.equal((await store.users.findById(bob.id))?.emailVerified, false)
      const revokedAt = async (i: number) =>
        (await store.sessions.findById(sessions[i]?.id ?? ''))?.revokedAt
      assert.deepEqual([await revokedAt(0), await revokedAt(1), await revokedAt(2)], [T1, T0, null])
      assert.equal(await store.emailTokens.find('reset-b', 'reset_password', T1), null, 'voided')
      assert.ok(await store.emailTokens.find('verify', 'verify_email', T1), 'other purpose kept')
      assert.ok(await store.emailTokens.find('bob-reset', 'reset_password', T1), 'bob kept')
      const notice = (await store.outbox.page(null, 10)).find((m) => m.id === 'notice')
      assert.equal(notice?.kind, 'password_changed')
      assert.equal((await store.users.findById(bob.id))?.passwordHash, bob.passwordHash)
      assert.deepEqual(await store.emailTokens.redeem('reset-a', T1, reset('n-2')), {
        outcome: 'invalid',
      })
      assert.equal((await store.counts()).mail_outbox, 5, 'four tokens and one notice')
    })

    it('ends the user’s browser sessions (provider logins) when a reset is redeemed', async (t) => {
      const store = await fresh(t)
      const [alice, bob] = [await userWithEmail(store), await userWithEmail(store)]
      const logins = [newBrowserSession(alice.id), newBrowserSession(bob.id)]
      for (const b of logins) await store.browserSessions.create(b)
      await store.emailTokens.issue(newToken('r', 'reset_password', alice), newMessage('m'), false)
      assert.equal((await store.emailTokens.redeem('r', T1, reset('n'))).outcome, 'redeemed')
      const ended = async (i: number) =>
        (await store.browserSessions.findById(logins[i]?.id ?? ''))?.endedAt
      assert.deepEqual([await ended(0), await ended(1)], [T1, null])
    })

    it('refuses a reset token sent to an address the user no longer has', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      await store.emailTokens.issue(
        newToken('reset', 'reset_password', user),
        newMessage('m-1'),
        false,
      )
      const next = { id: user.id, email: 'new@example.com', emailCanonical: 'new@example.com' }
      await store.emailTokens.issue(newToken('chg', 'change_email', next), newMessage('m-2'), true)
      const change: Redemption = { purpose: 'change_email', notice: null }
      assert.equal((await store.emailTokens.redeem('chg', T1, change)).outcome, 'redeemed')
      assert.deepEqual(await store.emailTokens.redeem('reset', T1, reset('n')), {
        outcome: 'invalid',
      })
      assert.equal((await store.users.findById(user.id))?.passwordHash, user.passwordHash)
    })

    it('redeems a token once among 30 concurrent redeemers, 20 times over', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      const purposes = ['reset_password', 'verify_email', 'change_email'] as const
      for (let round = 0; round < 20; round++) {
        const purpose = purposes[round % 3] ?? 'reset_password'
        const hash = `h-${round}`
        const owner =
          purpose === 'change_email'
            ? {
                id: user.id,
                email: `r${round}@example.com`,
                emailCanonical: `r${round}@example.com`,
              }
            : await store.users.findById(user.id).then((u) => u ?? user)
        await store.emailTokens.issue(
          newToken(hash, purpose, owner),
          newMessage(`m-${round}`),
          true,
        )
        const redemption = (i: number): Redemption =>
          purpose === 'reset_password'
            ? reset(`n-${round}-${i}`, `hash-${round}-${i}`)
            : purpose === 'change_email'
              ? { purpose, notice: newMessage(`n-${round}-${i}`) }
              : { purpose }
        const outcomes = await Promise.all(
          Array.from({ length: 30 }, (_, i) => store.emailTokens.redeem(hash, T1, redemption(i))),
        )
        const won = outcomes.flatMap((o, i) => (o.outcome === 'redeemed' ? [i] : []))
        assert.equal(won.length, 1, `round ${round}: ${won.length} redeemed`)
        assert.equal(outcomes.filter((o) => o.outcome === 'invalid').length, 29)
        const notices = (await store.outbox.page(`m-${round}`, 1000)).filter((m) =>
          m.id.startsWith(`n-${round}-`),
        )
        if (purpose === 'verify_email') assert.equal(notices.length, 0)
        else
          assert.deepEqual(
            notices.map((m) => m.id),
            [`n-${round}-${won[0]}`],
          )
        if (purpose === 'reset_password') {
          const hashNow = (await store.users.findById(user.id))?.passwordHash
          assert.equal(hashNow, `hash-${round}-${won[0]}`)
        }
      }
    })

    it('leaves one live token of a purpose when a user’s issues race, 10 times over', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            store.emailTokens.issue(
              newToken(`race-${round}-${i}`, 'reset_password', user),
              newMessage(`m-race-${round}-${i}`),
              true,
            ),
          ),
        )
        const live = (await store.emailTokens.page(null, 1000)).filter(
          (r) => r.purpose === 'reset_password' && r.usedAt === null,
        )
        assert.equal(live.length, 1, `round ${round}: ${live.length} live reset tokens`)
      }
    })

    it('voids a pending email change with a reset, and changes no disabled user’s address', async (t) => {
      const store = await fresh(t)
      const [alice, bob] = [await userWithEmail(store), await userWithEmail(store)]
      const target = (id: string, n: number) => ({
        id,
        email: `taken${n}@example.com`,
        emailCanonical: `taken${n}@example.com`,
      })
      await store.emailTokens.issue(
        newToken('chg-a', 'change_email', target(alice.id, 1)),
        newMessage('m-1'),
        true,
      )
      await store.emailTokens.issue(
        newToken('reset-a', 'reset_password', alice),
        newMessage('m-2'),
        true,
      )
      assert.equal(
        (await store.emailTokens.redeem('reset-a', T1, reset('n-1'))).outcome,
        'redeemed',
      )
      assert.equal(
        await store.emailTokens.find('chg-a', 'change_email', T1),
        null,
        'voided by the reset',
      )
      const change: Redemption = { purpose: 'change_email', notice: null }
      assert.deepEqual(await store.emailTokens.redeem('chg-a', T1, change), { outcome: 'invalid' })

      await store.emailTokens.issue(
        newToken('chg-b', 'change_email', target(bob.id, 2)),
        newMessage('m-3'),
        true,
      )
      await store.users.setDisabled(bob.id, true, T1)
      assert.deepEqual(await store.emailTokens.redeem('chg-b', T1, change), { outcome: 'invalid' })
      assert.equal((await store.users.findById(bob.id))?.email, bob.email)
      await store.users.setDisabled(bob.id, false, T1)
      assert.equal(
        (await store.emailTokens.redeem('chg-b', T1, change)).outcome,
        'redeemed',
        'unspent while refused',
      )
    })

    it('purges tokens used or expired before a time, in batches', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      const records = [
        newToken('used-early', 'reset_password', user, { usedAt: T0, expiresAt: T2 }),
        newToken('used-late', 'reset_password', user, { usedAt: T2, expiresAt: T2 }),
        newToken('expired-early', 'verify_email', user, { expiresAt: T0 }),
        newToken('expired-early-2', 'verify_email', user, { expiresAt: T0 }),
        newToken('expires-at-cut', 'verify_email', user, { expiresAt: T1 }),
        newToken('live', 'change_email', user, { expiresAt: T2 }),
      ]
      for (const r of records) await store.emailTokens.insertRecord(r)
      assert.equal(await store.emailTokens.purge(T1, 2), 2)
      assert.equal(await store.emailTokens.purge(T1, 2), 1)
      assert.equal(await store.emailTokens.purge(T1, 2), 0)
      assert.deepEqual(
        (await store.emailTokens.page(null, 10)).map((r) => r.hash),
        ['expires-at-cut', 'live', 'used-late'],
      )
    })

    it('pages tokens in hash order and inserts complete rows back, for copying', async (t) => {
      const store = await fresh(t)
      const user = await userWithEmail(store)
      const records = ['c', 'a', 'B', 'b-2', 'b_1'].map((hash, i) =>
        newToken(hash, i % 2 ? 'verify_email' : 'reset_password', user, {
          usedAt: i === 2 ? T1 : null,
        }),
      )
      for (const r of records) await store.emailTokens.insertRecord(r)
      const seen = []
      let after: string | null = null
      for (;;) {
        const page = await store.emailTokens.page(after, 2)
        if (page.length === 0) break
        seen.push(...page)
        after = page.at(-1)?.hash ?? null
      }
      const byHash = (a: { hash: string }, b: { hash: string }) => (a.hash < b.hash ? -1 : 1)
      assert.deepEqual(seen, [...records].sort(byHash))
      const [first] = records
      assert.ok(first)
      await assert.rejects(store.emailTokens.insertRecord(first), UniqueViolationError)
    })
  })
}
