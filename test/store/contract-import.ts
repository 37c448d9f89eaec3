/** The Store contract for `users.importMany`, the bulk insert behind `portcullis users import`. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type Fresh, newUser, T0 } from './contract-helpers.js'

export function importContract(fresh: Fresh): void {
  describe('user import', () => {
    it('inserts every new user, with roles and disabled as given or defaulted', async (t) => {
      const store = await fresh(t)
      const batch = [
        newUser(),
        newUser({ roles: ['user', 'admin'] }),
        newUser({ disabled: true, email: null, emailCanonical: null }),
        newUser({ emailVerified: true }),
      ]
      assert.deepEqual(await store.users.importMany(batch), [true, true, true, true])
      const [plain, admin, disabled, verified] = await Promise.all(
        batch.map((u) => store.users.findById(u.id)),
      )
      assert.deepEqual(plain, {
        ...batch[0],
        roles: ['user'],
        disabled: false,
        emailVerified: false,
        updatedAt: T0,
      })
      assert.equal(verified?.emailVerified, true)
      assert.deepEqual(admin?.roles, ['user', 'admin'])
      assert.equal(admin?.disabled, false)
      assert.equal(disabled?.disabled, true)
      assert.deepEqual(disabled?.roles, ['user'])
      assert.deepEqual(await store.users.importMany([]), [])
    })

    it('skips a user whose username, email or id is already stored, keeping the stored one', async (t) => {
      const store = await fresh(t)
      const stored = await store.users.create(newUser())
      const byName = newUser({ username: stored.username })
      const byEmail = newUser({ email: 'X@example.com', emailCanonical: stored.emailCanonical })
      const byId = newUser({ id: stored.id })
      const fine = newUser()
      const flags = await store.users.importMany([byName, fine, byEmail, byId])
      assert.deepEqual(flags, [false, true, false, false])
      assert.deepEqual(await store.users.findById(stored.id), stored)
      assert.equal(await store.users.findById(byName.id), null)
      assert.equal(await store.users.findById(byEmail.id), null)
      assert.equal(await store.users.findByUsername(byId.username), null)
      assert.equal((await store.users.findById(fine.id))?.username, fine.username)
      assert.equal((await store.counts()).users, 2)
    })

    it('inserts the first of two batch rows sharing a username, email or id, and not the second', async (t) => {
      const store = await fresh(t)
      const a = newUser()
      const sameName = newUser({ username: a.username })
      const b = newUser()
      const sameEmail = newUser({ emailCanonical: b.emailCanonical })
      const c = newUser()
      const sameId = newUser({ id: c.id })
      const d = newUser()
      const flags = await store.users.importMany([a, b, sameName, c, sameEmail, sameId, d, d])
      assert.deepEqual(flags, [true, true, false, true, false, false, true, false])
      assert.equal((await store.users.findByUsername(a.username))?.id, a.id)
      assert.ok(b.emailCanonical)
      assert.equal((await store.users.findByEmail(b.emailCanonical))?.id, b.id)
      assert.equal((await store.users.findById(c.id))?.username, c.username)
      assert.equal((await store.counts()).users, 4)
    })

    it('reports a row that takes the id of an earlier skipped row as inserted', async (t) => {
      const store = await fresh(t)
      const stored = await store.users.create(newUser())
      const id = randomUUID()
      const skipped = newUser({ id, username: stored.username })
      const taker = newUser({ id })
      assert.deepEqual(await store.users.importMany([skipped, taker]), [false, true])
      assert.equal((await store.users.findById(id))?.username, taker.username)
    })

    it('inserts nothing when the same import runs again', async (t) => {
      const store = await fresh(t)
      const batch = Array.from({ length: 20 }, () => newUser())
      assert.deepEqual(
        await store.users.importMany(batch),
        batch.map(() => true),
      )
      const before = await store.users.page(null, 100)
      assert.deepEqual(
        await store.users.importMany(batch),
        batch.map(() => false),
      )
      assert.deepEqual(await store.users.page(null, 100), before)
    })

    it('writes nothing when a row has an invalid role', async (t) => {
      const store = await fresh(t)
      const batch = [newUser(), newUser({ roles: [] }), newUser()]
      await assert.rejects(store.users.importMany(batch), RangeError)
      assert.equal((await store.counts()).users, 0)
    })

    it('imports a batch of 1000 users in one call, quickly', async (t) => {
      const store = await fresh(t)
      const batch = Array.from({ length: 1000 }, (_, i) =>
        newUser(i % 4 === 0 ? { email: null, emailCanonical: null } : {}),
      )
      await store.users.create(batch[500] ?? newUser())
      const started = performance.now()
      const flags = await store.users.importMany(batch)
      const elapsed = performance.now() - started
      assert.equal(flags.length, 1000)
      assert.deepEqual(
        flags.flatMap((ok, i) => (ok ? [] : [i])),
        [500],
      )
      assert.equal((await store.counts()).users, 1000)
      assert.ok(elapsed < 3000, `1000 rows took ${Math.round(elapsed)} ms`)
      const sample = batch[999]
      assert.equal((await store.users.findByUsername(sample?.username ?? ''))?.id, sample?.id)
    })
  })
}
