import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { calculateJwkThumbprint, type JWK } from 'jose'
import type { SigningAlg } from '../../src/auth/keys.js'
import { ManualClock } from '../../src/clock.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import type { Store } from '../../src/store/store.js'
import { keyringFor } from '../support/keyring.js'

function memoryStore(t: TestContext): Store {
  const store = openSqliteStore(':memory:')
  t.after(() => store.close())
  return store
}

async function loadedKeyring(store: Store, alg: SigningAlg, clock = new ManualClock()) {
  const keyring = keyringFor(store, alg, clock)
  await keyring.load()
  return keyring
}

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

describe('Keyring', () => {
  it('refuses to hand out a signing key before it is loaded', (t) => {
    const keyring = keyringFor(memoryStore(t), 'ES256', new ManualClock())
    assert.throws(() => keyring.signingKey(), /not loaded/)
  })

  it('creates and stores one ES256 P-256 key on first load', async (t) => {
    const store = memoryStore(t)
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const keyring = await loadedKeyring(store, 'ES256', clock)
    const key = keyring.signingKey()
    assert.equal(key.alg, 'ES256')
    assert.equal(key.publicJwk?.kty, 'EC')
    assert.equal(key.publicJwk?.crv, 'P-256')
    const records = await store.signingKeys.list()
    assert.equal(records.length, 1)
    assert.equal(records[0]?.kid, key.kid)
    assert.equal(records[0]?.alg, 'ES256')
    assert.equal(records[0]?.createdAt, '2026-06-01T12:00:00.000Z')
    assert.equal(records[0]?.retiredAt, null)
    assert.deepEqual(
      keyring.publicJwks().keys.map((k) => k.alg),
      ['ES256'],
    )
  })

  it('creates an EdDSA Ed25519 key when configured for EdDSA', async (t) => {
    const keyring = await loadedKeyring(memoryStore(t), 'EdDSA')
    const key = keyring.signingKey()
    assert.equal(key.alg, 'EdDSA')
    assert.equal(key.publicJwk?.kty, 'OKP')
    assert.equal(key.publicJwk?.crv, 'Ed25519')
    assert.deepEqual(
      keyring.publicJwks().keys.map((k) => k.alg),
      ['EdDSA'],
    )
  })

  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`uses the RFC 7638 thumbprint of the public key as the ${alg} kid`, async (t) => {
      const keyring = await loadedKeyring(memoryStore(t), alg)
      const key = keyring.signingKey()
      assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/)
      assert.equal(key.kid, await calculateJwkThumbprint(key.publicJwk ?? {}, 'sha256'))
      assert.equal(key.publicJwk?.kid, key.kid)
    })
  }

  it('loads the stored key on a second keyring over the same store instead of creating one', async (t) => {
    const store = memoryStore(t)
    const first = await loadedKeyring(store, 'ES256')
    const second = await loadedKeyring(store, 'ES256')
    assert.equal(second.signingKey().kid, first.signingKey().kid)
    assert.equal((await store.signingKeys.list()).length, 1)
    assert.deepEqual(second.publicJwks(), first.publicJwks())
  })

  it('keeps keys across close and reopen of a file store', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'keys.db')
    const a = openSqliteStore(path)
    const kid = (await loadedKeyring(a, 'ES256')).signingKey().kid
    await a.close()
    const b = openSqliteStore(path)
    t.after(() => b.close())
    assert.equal((await loadedKeyring(b, 'ES256')).signingKey().kid, kid)
    assert.equal((await b.signingKeys.list()).length, 1)
  })

  it('publishes public members only: no private key material in the JWKS', async (t) => {
    const store = memoryStore(t)
    await loadedKeyring(store, 'EdDSA')
    const keyring = await loadedKeyring(store, 'ES256')
    const { keys } = keyring.publicJwks()
    assert.equal(keys.length, 2)
    for (const jwk of keys) {
      for (const member of privateMembers) assert.equal(member in jwk, false, `${member} in JWKS`)
      assert.equal(jwk.use, 'sig')
      assert.ok(jwk.kid && jwk.alg)
    }
    // The stored private JWK does carry d; it is just never published.
    const records = await store.signingKeys.list()
    for (const r of records) assert.ok('d' in (JSON.parse(r.privateJwk ?? '{}') as JWK))
  })

  it('signs with the configured algorithm and still verifies with other unretired keys', async (t) => {
    const store = memoryStore(t)
    const ed = (await loadedKeyring(store, 'EdDSA')).signingKey()
    const keyring = await loadedKeyring(store, 'ES256')
    assert.equal(keyring.signingKey().alg, 'ES256')
    assert.equal(keyring.find(ed.kid)?.alg, 'EdDSA')
    assert.deepEqual(
      keyring
        .publicJwks()
        .keys.map((k) => k.alg)
        .sort(),
      ['ES256', 'EdDSA'],
    )
  })

  it('drops a retired key and creates a new one on the next load', async (t) => {
    const store = memoryStore(t)
    const clock = new ManualClock()
    const old = (await loadedKeyring(store, 'ES256', clock)).signingKey()
    await store.signingKeys.revoke(old.kid, new Date(clock.now()).toISOString(), null)
    clock.advance(1000)
    const keyring = await loadedKeyring(store, 'ES256', clock)
    assert.notEqual(keyring.signingKey().kid, old.kid)
    assert.equal(keyring.find(old.kid), undefined)
    assert.deepEqual(
      keyring.publicJwks().keys.map((k) => k.kid),
      [keyring.signingKey().kid],
    )
  })

  it('finds nothing for an unknown kid', async (t) => {
    const keyring = await loadedKeyring(memoryStore(t), 'ES256')
    assert.equal(keyring.find('A'.repeat(43)), undefined)
  })
})
