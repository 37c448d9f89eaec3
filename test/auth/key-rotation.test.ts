import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { KeySealer } from '../../src/auth/key-sealer.js'
import { ManualClock } from '../../src/clock.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { keyringFor } from '../support/keyring.js'

const MIN = 60_000

function memoryStore(t: TestContext) {
  const store = openSqliteStore(':memory:')
  t.after(() => store.close())
  return store
}

describe('key rotation', () => {
  it('publishes a new key at once, signs with it only after the delay, and keeps the old one verifying for a token lifetime', async (t) => {
    const store = memoryStore(t)
    const clock = new ManualClock()
    const keyring = keyringFor(store, 'ES256', clock)
    await keyring.load()
    const first = keyring.signingKey().kid
    const next = await keyring.rotate(900)
    assert.equal(keyring.signingKey().kid, first, 'the new key does not sign yet')
    assert.deepEqual(
      keyring
        .publicJwks()
        .keys.map((k) => k.kid)
        .sort(),
      [first, next].sort(),
    )
    assert.deepEqual(
      keyring.states().map((s) => s.state),
      ['next', 'active'],
    )

    clock.advance(15 * MIN)
    assert.equal(keyring.signingKey().kid, next, 'it signs once its activation time has come')
    assert.ok(keyring.find(first), 'the old key still verifies its unexpired tokens')
    assert.deepEqual(
      keyring.states().map((s) => s.state),
      ['active', 'retired'],
    )

    clock.advance(15 * MIN - 1)
    assert.ok(keyring.find(first))
    clock.advance(1)
    assert.equal(keyring.find(first), undefined, 'gone once every token it signed has expired')
    assert.deepEqual(
      keyring.publicJwks().keys.map((k) => k.kid),
      [next],
    )
  })

  it('rotates automatically when the signing key is older than the period, once among instances', async (t) => {
    const store = memoryStore(t)
    const clock = new ManualClock()
    const options = { rotationSeconds: 86_400, publishSeconds: 900 }
    const a = keyringFor(store, 'ES256', clock, options)
    const b = keyringFor(store, 'ES256', clock, options)
    await Promise.all([a.load(), b.load()])
    assert.equal((await store.signingKeys.list()).length, 1)
    clock.advance(86_400_000)
    await Promise.all([a.load(), b.load()])
    assert.equal((await store.signingKeys.list()).length, 2, 'one next key, not two')
    assert.deepEqual(
      a.states().map((s) => s.state),
      ['next', 'active'],
    )
    await Promise.all([a.load(), b.load()])
    assert.equal((await store.signingKeys.list()).length, 2, 'a pending key stops further rotation')
  })

  it('seals private keys at rest with AES-256-GCM and refuses to open them without the key', async (t) => {
    const store = memoryStore(t)
    const clock = new ManualClock()
    const sealer = new KeySealer(Buffer.alloc(32, 7))
    await keyringFor(store, 'ES256', clock, { sealer }).load()
    const [record] = await store.signingKeys.list()
    assert.match(record?.privateJwk ?? '', /^enc:v2:/)
    assert.doesNotMatch(record?.privateJwk ?? '', /"d"/)
    const again = keyringFor(store, 'ES256', clock, { sealer })
    await again.load()
    assert.equal(again.signingKey().kid, record?.kid)
    await assert.rejects(keyringFor(store, 'ES256', clock).load(), /PORTCULLIS_KEY_ENCRYPTION_KEY/)
    await assert.rejects(
      keyringFor(store, 'ES256', clock, { sealer: new KeySealer(Buffer.alloc(32, 8)) }).load(),
      /does not open/,
    )
  })
})
