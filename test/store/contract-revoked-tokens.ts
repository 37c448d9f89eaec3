/** The Store contract for the denylist of revoked machine tokens (RFC 7009 §2). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Fresh, newClient, T0, T1, T2 } from './contract-helpers.js'

export function revokedTokensContract(fresh: Fresh): void {
  describe('revoked tokens', () => {
    it('records a jti once, however often it is added, and knows it', async (t) => {
      const store = await fresh(t)
      assert.equal(await store.revokedTokens.has('jti-a'), false)
      await store.revokedTokens.add('jti-a', T1)
      await store.revokedTokens.add('jti-a', T2)
      await Promise.all(Array.from({ length: 10 }, () => store.revokedTokens.add('jti-a', T1)))
      assert.equal(await store.revokedTokens.has('jti-a'), true)
      assert.equal(await store.revokedTokens.has('jti-b'), false)
      assert.deepEqual(await store.revokedTokens.page(null, 10), [{ jti: 'jti-a', expiresAt: T1 }])
    })

    it('purges only entries whose token has expired, in batches', async (t) => {
      const store = await fresh(t)
      for (const i of [1, 2, 3]) await store.revokedTokens.add(`old-${i}`, T0)
      await store.revokedTokens.add('live', T2)
      assert.equal(await store.revokedTokens.purge(T1, 2), 2)
      assert.equal(await store.revokedTokens.purge(T1, 2), 1)
      assert.equal(await store.revokedTokens.purge(T1, 2), 0)
      assert.equal(await store.revokedTokens.has('live'), true)
      assert.equal(await store.revokedTokens.has('old-1'), false)
      assert.equal(await store.revokedTokens.purge(T2, 10), 0, 'expiring at now is not yet expired')
    })

    it('pages entries in jti order for copying', async (t) => {
      const store = await fresh(t)
      const jtis = ['c', 'a', 'B', 'b-2', 'b_1']
      for (const jti of jtis) await store.revokedTokens.add(jti, T1)
      const seen: string[] = []
      let after: string | null = null
      for (;;) {
        const page = await store.revokedTokens.page(after, 2)
        if (page.length === 0) break
        seen.push(...page.map((r) => r.jti))
        after = page.at(-1)?.jti ?? null
      }
      assert.deepEqual(seen, [...jtis].sort())
    })

    it("keeps each client's registration id as stored", async (t) => {
      const store = await fresh(t)
      await store.clients.create(newClient('app', { registrationId: 'r-1' }))
      assert.equal((await store.clients.findById('app'))?.registrationId, 'r-1')
      await store.clients.delete('app')
      await store.clients.create(newClient('app', { registrationId: 'r-2' }))
      assert.equal((await store.clients.findById('app'))?.registrationId, 'r-2')
    })
  })
}
