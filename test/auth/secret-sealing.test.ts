import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KeySealer, mfaFactorContext } from '../../src/auth/key-sealer.js'
import { sealStoredSecrets } from '../../src/auth/server-secrets.js'
import { ManualClock } from '../../src/clock.js'
import { createServices } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import { buildTestApp, getMe, PASSWORD, postToken, registerUser, testConfig } from '../helpers.js'
import { newPasskey, newTotp } from '../store/contract-mfa.js'
import { sharedDatabaseUrl } from '../support/engines.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const withKey = { PORTCULLIS_KEY_ENCRYPTION_KEY: KEY }

/** Starts the services on `databaseUrl` as a server would; resolves or rejects like its start. */
async function start(databaseUrl: string, env: Record<string, string>) {
  const config = testConfig({ PORTCULLIS_DATABASE_URL: databaseUrl, ...env })
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  try {
    await createServices(config, store, new ManualClock())
  } finally {
    await store.close()
  }
}

describe('server secrets at rest', () => {
  it('seals every signing key and server secret when an encryption key is set', async (t) => {
    const { services } = await buildTestApp(t, { env: withKey })
    const keys = await services.store.signingKeys.list()
    const secrets = await services.store.secrets.list()
    assert.equal(keys.length, 1)
    assert.deepEqual(secrets.map((s) => s.name).sort(), [
      'device-key',
      'recovery-code-key',
      'refresh-rotation-key',
    ])
    for (const value of [...keys.map((k) => k.privateJwk), ...secrets.map((s) => s.value)]) {
      assert.match(value ?? '', /^enc:v2:[\w-]+\.[\w-]+\.[\w-]{22}$/)
    }
  })

  it('refuses to start while a secret is in clear and the key is set, naming keys seal', async (t) => {
    const databaseUrl = await sharedDatabaseUrl(t)
    await buildTestApp(t, { databaseUrl })
    await assert.rejects(start(databaseUrl, withKey), {
      name: 'KeySealError',
      message: /stored unencrypted.*`portcullis keys seal`/,
    })
  })

  it('refuses a sealed secret moved to another row', async (t) => {
    const databaseUrl = await sharedDatabaseUrl(t)
    const { services } = await buildTestApp(t, { databaseUrl, env: withKey })
    const secrets = await services.store.secrets.list()
    const device = secrets.find((s) => s.name === 'device-key')
    const rotation = secrets.find((s) => s.name === 'refresh-rotation-key')
    assert.ok(device && rotation)
    await start(databaseUrl, withKey)
    assert.equal(
      await services.store.replaceSecrets([
        { table: 'server_secrets', id: device.name, expected: device.value, next: rotation.value },
      ]),
      1,
    )
    await assert.rejects(start(databaseUrl, withKey), {
      name: 'KeySealError',
      message: /does not open server_secrets\/device-key/,
    })
  })

  it('keys seal: seals what is in clear once, keeps every token working, changes nothing on a rerun', async (t) => {
    const databaseUrl = await sharedDatabaseUrl(t)
    const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
    const before = await buildTestApp(t, { databaseUrl, clock })
    await registerUser(before.app, 'alice')
    const login = (await postToken(before.app, { username: 'alice', password: PASSWORD })).json()
    const { store } = before.services
    const sealer = new KeySealer(Buffer.from(KEY, 'base64'))
    // Bob's TOTP factor stored before the key was set, and a passkey (no secret to seal). Bob,
    // not alice: her password-only session would stop refreshing once she had a factor.
    await registerUser(before.app, 'bob')
    const bob = await store.users.findByUsername('bob')
    assert.ok(bob)
    const totp = newTotp(bob.id, { confirmedAt: '2026-06-01T12:00:00.000Z' })
    await store.mfaFactors.insert(totp)
    await store.mfaFactors.insert(newPasskey(bob.id))
    const context = { clientId: null, ip: '127.0.0.1', userAgent: 'test' }
    const codes = await before.services.mfa.regenerateRecoveryCodes(bob.id, context)

    await assert.rejects(
      sealStoredSecrets(store, new KeySealer(null)),
      /set PORTCULLIS_KEY_ENCRYPTION_KEY/,
    )
    assert.deepEqual(await sealStoredSecrets(store, sealer), {
      signingKeys: 1,
      secrets: 3,
      totpSecrets: 1,
      unchanged: 0,
    })
    const sealedTotp = (await store.mfaFactors.findById(totp.id))?.secret ?? ''
    assert.match(sealedTotp, /^enc:v2:/)
    assert.equal(sealer.open(sealedTotp, mfaFactorContext(totp.id)), totp.secret)
    assert.throws(() => sealer.open(sealedTotp, mfaFactorContext('another')), /does not open/)
    assert.deepEqual(await sealStoredSecrets(store, sealer), {
      signingKeys: 0,
      secrets: 0,
      totpSecrets: 0,
      unchanged: 5,
    })
    const other = new KeySealer(Buffer.alloc(32, 8))
    await assert.rejects(sealStoredSecrets(store, other), /does not open/)

    const after = await buildTestApp(t, { databaseUrl, clock, env: withKey })
    const me = await getMe(after.app, `Bearer ${login.access_token}`)
    assert.equal(me.statusCode, 200, 'the signing key is the same after sealing')
    const refreshed = await postToken(after.app, {
      grant_type: 'refresh_token',
      refresh_token: login.refresh_token,
    })
    assert.equal(refreshed.statusCode, 200, 'the refresh-rotation key is the same after sealing')
    assert.equal(
      await after.services.mfa.verifyCode(bob, codes[0] ?? '', context),
      'recovery_code',
      'the recovery-code key is the same after sealing',
    )
  })
})
