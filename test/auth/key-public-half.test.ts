import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { exportJWK, generateKeyPair } from 'jose'
import { generateRecord } from '../../src/auth/key-material.js'
import { KeySealError, KeySealer } from '../../src/auth/key-sealer.js'
import { buildTestApp } from '../helpers.js'

const encryptionKey = Buffer.alloc(32, 7)
const env = { PORTCULLIS_KEY_ENCRYPTION_KEY: encryptionKey.toString('base64') }

/** An attacker's public key, published the way the server publishes its own, under `kid`. */
async function attackerPublicJwk(kid: string) {
  const pair = await generateKeyPair('ES256', { extractable: true })
  const { kty, crv, x, y } = await exportJWK(pair.publicKey)
  return { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' }
}

describe('stored signing keys: the public half is checked against the sealed private half', () => {
  it('loads an untampered ring with a second stored key', async (t) => {
    const { services, clock } = await buildTestApp(t, { env })
    const record = await generateRecord(
      'ES256',
      new Date(clock.now()).toISOString(),
      new Date(clock.now() + 60_000).toISOString(),
      new KeySealer(encryptionKey),
    )
    await services.store.signingKeys.insert(record)
    await services.keyring.load()
    assert.ok(services.keyring.find(record.kid))
  })

  it('refuses a key whose stored public_jwk was replaced under its kid', async (t) => {
    const { services, clock } = await buildTestApp(t, { env })
    const record = await generateRecord(
      'ES256',
      new Date(clock.now()).toISOString(),
      new Date(clock.now()).toISOString(),
      new KeySealer(encryptionKey),
    )
    record.publicJwk = JSON.stringify(await attackerPublicJwk(record.kid))
    await services.store.signingKeys.insert(record)
    await assert.rejects(
      services.keyring.load(),
      (error) =>
        error instanceof KeySealError &&
        error.message.includes(`signing_keys/${record.kid}`) &&
        /does not match its private key/.test(error.message),
    )
    assert.equal(services.keyring.find(record.kid), undefined)
  })

  it('refuses a key whose stored public_jwk claims another alg', async (t) => {
    const { services, clock } = await buildTestApp(t, { env })
    const record = await generateRecord(
      'ES256',
      new Date(clock.now()).toISOString(),
      new Date(clock.now()).toISOString(),
      new KeySealer(encryptionKey),
    )
    record.publicJwk = JSON.stringify({ ...JSON.parse(record.publicJwk), alg: 'EdDSA' })
    await services.store.signingKeys.insert(record)
    await assert.rejects(services.keyring.load(), KeySealError)
  })
})
