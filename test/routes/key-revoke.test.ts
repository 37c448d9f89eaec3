import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { cliActor } from '../../src/auth/audit.js'
import { revokeSigningKey } from '../../src/auth/key-revocation.js'
import { ManualClock } from '../../src/clock.js'
import { adminLogin, buildTestApp, getMe, login, registerUser, type TestApp } from '../helpers.js'
import { sharedDatabaseUrl } from '../support/engines.js'
import { assertError, call } from './admin-support.js'

const kidOf = (token: string) => String(decodeProtectedHeader(token).kid)

async function jwksKids({ app }: TestApp): Promise<string[]> {
  const res = await app.inject('/.well-known/jwks.json')
  assert.equal(res.statusCode, 200)
  return (res.json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort()
}

function assertInvalidToken(res: Awaited<ReturnType<typeof getMe>>) {
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().error, 'invalid_token')
}

describe('revoking a leaked signing key', () => {
  it('refuses its tokens at once, drops it from the JWKS, deletes its private half and signs with a successor', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await registerUser(app, 'alice')
    const leaked = await login(app, 'alice')
    const kid = kidOf(leaked)
    assert.equal((await getMe(app, `Bearer ${leaked}`)).statusCode, 200, 'cached as valid')

    const result = await revokeSigningKey(services.keyring, services.audit, kid, cliActor)
    assert.ok(result?.successor)
    assert.notEqual(result.successor, kid)

    assertInvalidToken(await getMe(app, `Bearer ${leaked}`))
    assert.deepEqual(await jwksKids(testApp), [result.successor])
    const stored = (await services.store.signingKeys.list()).find((k) => k.kid === kid)
    assert.equal(stored?.privateJwk, null, 'the private half is gone from the store')
    assert.ok(stored?.retiredAt)

    const fresh = await login(app, 'alice')
    assert.equal(kidOf(fresh), result.successor, 'the successor signs at once')
    assert.equal((await getMe(app, `Bearer ${fresh}`)).statusCode, 200)

    const [record] = await services.audit.list({ type: 'key.revoke', limit: 10 })
    assert.equal(record?.actorId, 'cli')
    assert.deepEqual(JSON.parse(record?.detail ?? '{}'), { kid, successor: result.successor })
    assert.equal(
      await revokeSigningKey(services.keyring, services.audit, kid, cliActor),
      undefined,
      'a second revoke finds nothing to do',
    )
  })

  it('adds no successor when the revoked key was not signing, and keeps the signer', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await registerUser(app, 'alice')
    const signer = services.keyring.signingKey().kid
    const next = await services.keyring.rotate(900)
    const result = await revokeSigningKey(services.keyring, services.audit, next, cliActor)
    assert.deepEqual(result, { successor: null })
    assert.deepEqual(await jwksKids(testApp), [signer])
    const token = await login(app, 'alice')
    assert.equal(kidOf(token), signer)
    assert.equal((await getMe(app, `Bearer ${token}`)).statusCode, 200)
  })

  it('is refused by another instance on the same store at its next key reload', async (t) => {
    const databaseUrl = await sharedDatabaseUrl(t)
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const a = await buildTestApp(t, { databaseUrl, clock })
    const b = await buildTestApp(t, { databaseUrl, clock })
    await registerUser(a.app, 'alice')
    const leaked = await login(a.app, 'alice')
    const kid = kidOf(leaked)
    assert.equal((await getMe(b.app, `Bearer ${leaked}`)).statusCode, 200)
    assert.deepEqual(await jwksKids(b), [kid])

    const result = await revokeSigningKey(a.services.keyring, a.services.audit, kid, cliActor)
    assertInvalidToken(await getMe(a.app, `Bearer ${leaked}`))
    const successorToken = await login(a.app, 'alice')

    // What B's key-reload timer does every PORTCULLIS_KEY_RELOAD_SECONDS.
    clock.advance(b.services.config.keys.reloadSeconds * 1000)
    await b.services.keyring.load()
    assertInvalidToken(await getMe(b.app, `Bearer ${leaked}`))
    assert.deepEqual(await jwksKids(b), [result?.successor])
    assert.equal((await getMe(b.app, `Bearer ${successorToken}`)).statusCode, 200)
  })

  it('does not lengthen the life of the key the revoked one replaced', async (t) => {
    const { app, services, clock } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const old = await login(app, 'alice')
    clock.advance(1000)
    const current = await services.keyring.rotate(0)
    clock.advance(1000)
    assert.equal((await getMe(app, `Bearer ${old}`)).statusCode, 200)
    await revokeSigningKey(services.keyring, services.audit, current, cliActor)
    // The old key verifies for one token lifetime after `current` activated, not after the revoke.
    clock.advance(services.config.tokens.ttlSeconds * 1000 - 1000)
    assert.notEqual(services.keyring.signingKey().kid, current)
    assert.equal(services.keyring.find(kidOf(old)), undefined)
    assertInvalidToken(await getMe(app, `Bearer ${old}`))
  })

  it('is one admin API call, at once on the answering instance: POST /admin/keys/{kid}/revoke', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await registerUser(app, 'alice')
    const leaked = await login(app, 'alice')
    const kid = kidOf(leaked)
    assert.equal((await getMe(app, `Bearer ${leaked}`)).statusCode, 200, 'cached as valid')
    assertError(
      await call(app, 'POST', `/admin/keys/${kid}/revoke`, { token: leaked }),
      403,
      'insufficient_scope',
    )

    const admin = await adminLogin(testApp)
    const res = await call(app, 'POST', `/admin/keys/${kid}/revoke`, { token: admin.token })
    assert.equal(res.statusCode, 200, res.body)
    const { successor } = res.json() as { kid: string; successor: string }
    assert.deepEqual(res.json(), { kid, successor })
    assert.notEqual(successor, kid)
    assertInvalidToken(await getMe(app, `Bearer ${leaked}`))
    assert.deepEqual(await jwksKids(testApp), [successor])
    const [record] = await services.audit.list({ type: 'key.revoke', limit: 10 })
    assert.equal(record?.actorId, admin.id)

    // The admin's own token was signed by the revoked key too: a new login signs with the successor.
    const again = await adminLogin(testApp, 'root2')
    assertError(
      await call(app, 'POST', `/admin/keys/${kid}/revoke`, { token: again.token }),
      404,
      'not_found',
    )
  })
})
