/** The Store contract for roles and user search, which the admin API relies on. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type Fresh, newSession, newUser, T0, T1, T2 } from './contract-helpers.js'
import { importContract } from './contract-import.js'

export function userAdminContract(fresh: Fresh): void {
  describe('roles', () => {
    it('gives a new user the role user unless told otherwise, and keeps roles in order', async (t) => {
      const store = await fresh(t)
      const plain = newUser()
      const admin = newUser({ roles: ['user', 'admin'], disabled: true })
      assert.deepEqual((await store.users.create(plain)).roles, ['user'])
      const created = await store.users.create(admin)
      assert.deepEqual(created, { ...admin, emailVerified: false, updatedAt: T0 })
      assert.deepEqual(await store.users.findById(admin.id), created)
      assert.deepEqual((await store.users.findByUsername(plain.username))?.roles, ['user'])
    })

    it('replaces roles, moving updatedAt, and reports false for an unknown user', async (t) => {
      const store = await fresh(t)
      const input = newUser()
      await store.users.create(input)
      assert.equal(await store.users.setRoles(input.id, ['admin', 'user', 'auditor'], T1), true)
      let found = await store.users.findById(input.id)
      assert.deepEqual(found?.roles, ['admin', 'user', 'auditor'])
      assert.equal(found?.updatedAt, T1)
      assert.equal(await store.users.setRoles(input.id, ['user'], T2), true)
      found = await store.users.findById(input.id)
      assert.deepEqual(found?.roles, ['user'])
      assert.equal(found?.updatedAt, T2)
      assert.equal(await store.users.setRoles(randomUUID(), ['admin'], T2), false)
    })

    it('tells whether an enabled user has a role, matching whole roles only', async (t) => {
      const store = await fresh(t)
      assert.equal(await store.users.anyEnabledWithRole('admin'), false)
      await store.users.create(newUser({ roles: ['user', 'superadmin'] }))
      await store.users.create(newUser({ roles: ['admin'], disabled: true }))
      assert.equal(await store.users.anyEnabledWithRole('admin'), false)
      assert.equal(await store.users.anyEnabledWithRole('superadmin'), true)
      const admin = await store.users.create(newUser({ roles: ['user', 'admin', 'auditor'] }))
      assert.equal(await store.users.anyEnabledWithRole('admin'), true)
      await store.users.setDisabled(admin.id, true, T1)
      assert.equal(await store.users.anyEnabledWithRole('admin'), false)
    })

    it('refuses an empty role list and a role with a space, changing nothing', async (t) => {
      const store = await fresh(t)
      const input = newUser({ roles: ['admin'] })
      await store.users.create(input)
      await assert.rejects(store.users.setRoles(input.id, [], T1), RangeError)
      await assert.rejects(store.users.setRoles(input.id, ['a b'], T1), RangeError)
      await assert.rejects(store.users.create(newUser({ roles: [] })), RangeError)
      assert.deepEqual((await store.users.findById(input.id))?.roles, ['admin'])
    })

    it('returns roles with the session lookup, and keeps them through page and insertRecord', async (t) => {
      const store = await fresh(t)
      const user = await store.users.create(newUser({ roles: ['user', 'admin'] }))
      const s = newSession(user.id)
      await store.sessions.create(s, 'r0')
      assert.deepEqual((await store.sessions.findWithUser(s.id))?.user, user)
      await store.users.setRoles(user.id, ['user'], T1)
      assert.deepEqual((await store.sessions.findWithUser(s.id))?.user.roles, ['user'])
      const [paged] = await store.users.page(null, 10)
      assert.ok(paged)
      const target = await fresh(t)
      await target.users.insertRecord({ ...paged, roles: ['auditor', 'user'] })
      assert.deepEqual((await target.users.findById(user.id))?.roles, ['auditor', 'user'])
    })
  })

  describe('deleteUnlessLastHolder', () => {
    const admins = ['admin', 'ops']
    it('keeps the last enabled holder of any of the roles; deletes others and non-holders', async (t) => {
      const store = await fresh(t)
      const root = await store.users.create(newUser({ roles: ['user', 'admin'] }))
      const plain = await store.users.create(newUser())
      const ops = await store.users.create(newUser({ roles: ['ops'] }))
      assert.equal(await store.users.deleteUnlessLastHolder(plain.id, admins), 'deleted')
      assert.equal(await store.users.deleteUnlessLastHolder(randomUUID(), admins), 'missing')
      await store.users.setDisabled(ops.id, true, T1)
      assert.equal(await store.users.deleteUnlessLastHolder(root.id, admins), 'last_holder')
      assert.ok(await store.users.findById(root.id))
      // A role name is matched whole: "admins" is not "admin".
      const lookalike = await store.users.create(newUser({ roles: ['admins', 'xadmin'] }))
      assert.equal(await store.users.deleteUnlessLastHolder(root.id, admins), 'last_holder')
      await store.users.setDisabled(ops.id, false, T2)
      assert.equal(await store.users.deleteUnlessLastHolder(root.id, admins), 'deleted')
      assert.equal(await store.users.deleteUnlessLastHolder(ops.id, admins), 'last_holder')
      assert.equal(await store.users.deleteUnlessLastHolder(lookalike.id, admins), 'deleted')
    })

    it('never deletes every holder when they delete themselves at once', async (t) => {
      const store = await fresh(t)
      for (let round = 0; round < 20; round++) {
        const holders = await Promise.all(
          [1, 2, 3, 4].map(() => store.users.create(newUser({ roles: ['admin'] }))),
        )
        const outcomes = await Promise.all(
          holders.map((h) => store.users.deleteUnlessLastHolder(h.id, admins)),
        )
        assert.equal(outcomes.filter((o) => o === 'deleted').length, 3, outcomes.join(' '))
        assert.equal(outcomes.filter((o) => o === 'last_holder').length, 1)
        const survivor = holders[outcomes.indexOf('last_holder')]
        await store.users.delete(survivor?.id ?? '')
      }
    })
  })

  describe('user search', () => {
    const named = (username: string, email: string | null = `${username}@example.com`) =>
      newUser({ username, email, emailCanonical: email })

    it('matches a substring of the username or the email, ignoring case, in username order', async (t) => {
      const store = await fresh(t)
      for (const u of [
        named('carol', 'carol@wonder.org'),
        named('alice', 'alice@example.com'),
        named('bob', 'bob@alice.net'),
        named('malice', null),
        named('dave', 'dave@example.com'),
      ])
        await store.users.create(u)
      const search = async (text: string | undefined, limit = 10) =>
        (await store.users.search({ text, limit })).map((u) => u.username)
      assert.deepEqual(await search('alice'), ['alice', 'bob', 'malice'])
      assert.deepEqual(await search('ALIce'), ['alice', 'bob', 'malice'])
      assert.deepEqual(await search('WONDER.ORG'), ['carol'])
      assert.deepEqual(await search('zzz'), [])
      assert.deepEqual(await search(undefined), ['alice', 'bob', 'carol', 'dave', 'malice'])
      assert.deepEqual(await search(''), ['alice', 'bob', 'carol', 'dave', 'malice'])
      assert.deepEqual(await search('a', 2), ['alice', 'bob'])
      const [found] = await store.users.search({ text: 'carol', limit: 1 })
      assert.deepEqual(found, await store.users.findByUsername('carol'))
    })

    it('takes % and _ literally', async (t) => {
      const store = await fresh(t)
      for (const name of ['a_b', 'axb', 'a%c', 'abc', 'ab']) await store.users.create(named(name))
      const search = async (text: string) =>
        (await store.users.search({ text, limit: 10 })).map((u) => u.username)
      assert.deepEqual(await search('_'), ['a_b'])
      assert.deepEqual(await search('%'), ['a%c'])
      assert.deepEqual(await search('a_'), ['a_b'])
      assert.deepEqual(await search('%c'), ['a%c'])
    })

    it('pages with the username cursor, in byte order, without gaps or repeats', async (t) => {
      const store = await fresh(t)
      const names = ['b', 'a-z', 'a_z', 'aa', 'a.b', 'a0', 'z9', 'ab-c', 'é', 'a b', 'zz', 'ba']
      for (const name of names) await store.users.create(named(name, null))
      const pages: string[][] = []
      let after: string | undefined
      for (;;) {
        const page = await store.users.search({ afterUsername: after, limit: 5 })
        if (page.length === 0) break
        pages.push(page.map((u) => u.username))
        after = page.at(-1)?.username
      }
      assert.deepEqual(pages.flat(), [...names].sort())
      assert.deepEqual(
        pages.map((p) => p.length),
        [5, 5, 2],
      )
      const filtered = await store.users.search({ text: 'a', afterUsername: 'a_z', limit: 3 })
      assert.deepEqual(
        filtered.map((u) => u.username),
        ['aa', 'ab-c', 'ba'],
      )
    })
  })

  importContract(fresh)
}
