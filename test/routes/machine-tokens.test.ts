import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { buildApp } from '../../src/app.js'
import { createServices } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import { basic, buildTestApp, createClient, postToken, type TestApp } from '../helpers.js'
import { testEngine } from '../support/engines.js'

/** A test app with a resource server allowed to introspect; returns its Basic credentials. */
async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const test = await buildTestApp(t)
  const { client, secret } = await createClient(test, {
    id: 'resource-server',
    grantTypes: ['client_credentials'],
    scopes: [],
    introspect: true,
  })
  return { test, introspector: basic(client.id, secret ?? '') }
}

/** Registers a machine client `id`; returns its Basic credentials. */
async function machine(test: TestApp, id = 'batch') {
  const { client, secret } = await createClient(test, { id, scopes: ['email'] })
  return basic(client.id, secret ?? '')
}

async function clientToken(test: TestApp, credentials: string) {
  const res = await postToken(
    test.app,
    { grant_type: 'client_credentials' },
    { authorization: credentials },
  )
  assert.equal(res.statusCode, 200, res.body)
  return (res.json() as { access_token: string }).access_token
}

function post(test: TestApp, url: string, form: Record<string, string>, authorization: string) {
  return test.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    payload: new URLSearchParams(form).toString(),
  })
}

async function isActive(test: TestApp, introspector: string, token: string) {
  const res = await post(test, '/introspect', { token }, introspector)
  assert.equal(res.statusCode, 200, res.body)
  return (res.json() as { active: boolean }).active
}

describe('client_credentials tokens', () => {
  it('stay dead when their client_id is deleted and registered again in the same instant', async (t) => {
    const { test, introspector } = await setup(t)
    const old = await clientToken(test, await machine(test))
    assert.equal(await isActive(test, introspector, old), true)
    // The clock does not move: deletion and the new registration fall in the same millisecond.
    await test.services.clients.delete('batch', { id: 'test' })
    const renewed = await clientToken(test, await machine(test))
    assert.equal(await isActive(test, introspector, old), false, 'the old token stays dead')
    assert.equal(await isActive(test, introspector, renewed), true, 'the new one works')
    assert.notEqual(
      decodeJwt(old).client_registration,
      decodeJwt(renewed).client_registration,
      'each registration has its own id',
    )
  })

  it('are inactive at once after the owning client revokes them (RFC 7009 §2)', async (t) => {
    const { test, introspector } = await setup(t)
    const batch = await machine(test)
    const token = await clientToken(test, batch)
    const other = await clientToken(test, batch)
    const revoked = await post(test, '/revoke', { token }, batch)
    assert.equal(revoked.statusCode, 200)
    assert.equal(revoked.body, '')
    assert.equal(await isActive(test, introspector, token), false)
    assert.equal(await isActive(test, introspector, other), true, 'only that token is revoked')
  })

  it('are revoked for every instance sharing the database', async (t) => {
    const { test, introspector } = await setup(t)
    const { config } = test.services
    // A second instance: its own connection pool on PostgreSQL; the same database on SQLite.
    const store =
      testEngine === 'postgres'
        ? await openStore(config.store.databaseUrl, config.store.pool)
        : test.services.store
    const services = await createServices(config, store, test.clock)
    const other = await buildApp(services)
    t.after(async () => {
      await other.close()
      if (store !== test.services.store) await store.close()
    })
    const batch = await machine(test)
    const token = await clientToken(test, batch)
    const second = { ...test, app: other, services }
    assert.equal(await isActive(second, introspector, token), true)
    assert.equal((await post(test, '/revoke', { token }, batch)).statusCode, 200)
    assert.equal(await isActive(second, introspector, token), false)
  })

  it('are not revoked by another client, and the answer is still 200', async (t) => {
    const { test, introspector } = await setup(t)
    const token = await clientToken(test, await machine(test))
    const intruder = await machine(test, 'intruder')
    const res = await post(test, '/revoke', { token, token_type_hint: 'access_token' }, intruder)
    assert.equal(res.statusCode, 200)
    assert.equal(await isActive(test, introspector, token), true)
  })

  it('keep their revocation until they expire; housekeeping then purges it', async (t) => {
    const { test, introspector } = await setup(t)
    const batch = await machine(test)
    const token = await clientToken(test, batch)
    await post(test, '/revoke', { token }, batch)
    const count = async () => (await test.services.store.counts()).revoked_tokens
    assert.equal(await count(), 1)
    test.clock.advance(10 * 60_000)
    assert.equal(await test.services.machineTokens.purge(), 0, 'kept while the token is alive')
    assert.equal(await isActive(test, introspector, token), false)
    test.clock.advance(6 * 60_000)
    assert.equal(await test.services.machineTokens.purge(), 1, 'purged once it has expired')
    assert.equal(await count(), 0)
    assert.equal(await isActive(test, introspector, token), false, 'expired anyway')
  })

  it('revoking an expired machine token records nothing', async (t) => {
    const { test } = await setup(t)
    const batch = await machine(test)
    const token = await clientToken(test, batch)
    test.clock.advance(16 * 60_000)
    assert.equal((await post(test, '/revoke', { token }, batch)).statusCode, 200)
    assert.equal((await test.services.store.counts()).revoked_tokens, 0)
  })
})
