/** The Store contract for OAuth clients and ending a client's sessions. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type Fresh,
  newClient,
  newSession,
  newUser,
  rejectsUnique,
  T0,
  T1,
  T2,
} from './contract-helpers.js'

export function clientsContract(fresh: Fresh): void {
  describe('clients', () => {
    it('creates clients and finds them with every field intact', async (t) => {
      const store = await fresh(t)
      const confidential = newClient('backend', {
        introspect: true,
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
        postLogoutRedirectUris: ['https://app.example/bye'],
        firstParty: true,
        resource: 'https://api.example/',
      })
      const publicClient = newClient('spa', {
        secretHash: null,
        grantTypes: ['password'],
        scopes: [],
        updatedAt: T1,
      })
      const machine = newClient('worker', { grantTypes: ['client_credentials'], scopes: ['a:b'] })
      for (const c of [confidential, publicClient, machine]) await store.clients.create(c)
      assert.deepEqual(await store.clients.findById('backend'), confidential)
      assert.deepEqual(await store.clients.findById('spa'), publicClient)
      assert.deepEqual(await store.clients.findById('worker'), machine)
      assert.equal(await store.clients.findById('nope'), null)
    })

    it('rejects a taken client id with UniqueViolationError naming id', async (t) => {
      const store = await fresh(t)
      const first = newClient('app')
      await store.clients.create(first)
      await rejectsUnique(store.clients.create(newClient('app', { name: 'Other' })), 'id')
      assert.deepEqual(await store.clients.list(), [first])
    })

    it('lists clients in id order', async (t) => {
      const store = await fresh(t)
      assert.deepEqual(await store.clients.list(), [])
      const ids = ['web', 'App', 'cli', 'app-2', 'app_1', 'app']
      for (const id of ids) await store.clients.create(newClient(id))
      assert.deepEqual(
        (await store.clients.list()).map((c) => c.id),
        [...ids].sort(),
      )
    })

    it('replaces and removes the secret hash, moving updatedAt', async (t) => {
      const store = await fresh(t)
      await store.clients.create(newClient('app'))
      assert.equal(await store.clients.setSecretHash('app', 'bmV3LWhhc2g', T1), true)
      let found = await store.clients.findById('app')
      assert.equal(found?.secretHash, 'bmV3LWhhc2g')
      assert.equal(found?.updatedAt, T1)
      assert.equal(found?.createdAt, T0)
      assert.equal(await store.clients.setSecretHash('app', null, T2), true)
      found = await store.clients.findById('app')
      assert.equal(found?.secretHash, null)
      assert.equal(found?.updatedAt, T2)
      assert.equal(await store.clients.setSecretHash('nope', 'x', T2), false)
    })

    it('deletes a client once, after which its id can be used again', async (t) => {
      const store = await fresh(t)
      await store.clients.create(newClient('app'))
      await store.clients.create(newClient('other'))
      assert.equal(await store.clients.delete('app'), true)
      assert.equal(await store.clients.delete('app'), false)
      assert.equal(await store.clients.findById('app'), null)
      assert.deepEqual(
        (await store.clients.list()).map((c) => c.id),
        ['other'],
      )
      await store.clients.create(newClient('app', { name: 'Again' }))
      assert.equal((await store.clients.findById('app'))?.name, 'Again')
    })

    it('deletes every consent to a deleted client, and no other client’s', async (t) => {
      const store = await fresh(t)
      const [u1, u2] = [await store.users.create(newUser()), await store.users.create(newUser())]
      await store.clients.create(newClient('app'))
      await store.clients.create(newClient('other'))
      for (const u of [u1, u2]) {
        for (const c of ['app', 'other']) await store.consents.grant(u.id, c, ['openid'], T0)
      }
      assert.equal(await store.clients.delete('app'), true)
      for (const u of [u1, u2]) {
        assert.equal(await store.consents.find(u.id, 'app'), null)
        assert.ok(await store.consents.find(u.id, 'other'))
      }
    })

    it("revokes every live session of a client, of any user, and no other client's", async (t) => {
      const store = await fresh(t)
      const [u1, u2] = [await store.users.create(newUser()), await store.users.create(newUser())]
      const live = [
        newSession(u1.id, { clientId: 'app' }),
        newSession(u2.id, { clientId: 'app' }),
        newSession(u1.id, { clientId: 'app' }),
      ]
      const ended = newSession(u1.id, { clientId: 'app', revokedAt: T0 })
      const other = newSession(u1.id, { clientId: 'app-2' })
      for (const [i, s] of [...live, ended, other].entries())
        await store.sessions.create(s, `rc${i}`)
      assert.equal(await store.sessions.revokeAllForClient('app', T1), 3)
      for (const s of live) assert.equal((await store.sessions.findById(s.id))?.revokedAt, T1)
      assert.equal((await store.sessions.findById(ended.id))?.revokedAt, T0)
      assert.equal((await store.sessions.findById(other.id))?.revokedAt, null)
      assert.equal(await store.sessions.revokeAllForClient('app', T2), 0)
      assert.equal(await store.sessions.revokeAllForClient('nope', T2), 0)
    })
  })
}
