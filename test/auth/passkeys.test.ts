import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { signInAmr } from '../../src/auth/mfa/amr.js'
import { ISSUER } from '../helpers.js'
import { grantHarness, rejectsWith } from './grants-support.js'
import { SoftAuthenticator } from './passkeys-authenticator.js'

const context = { clientId: null, ip: '192.0.2.10', userAgent: 'passkeys-test' }
const minute = 60_000

async function harness(t: TestContext) {
  const h = await grantHarness(t)
  const id = await h.register('alice')
  const user = await h.services.users.findById(id)
  assert.ok(user)
  return { ...h, user }
}

async function enrolled(t: TestContext, options: { backupEligible?: boolean } = {}) {
  const h = await harness(t)
  const authenticator = new SoftAuthenticator({ origin: ISSUER, ...options })
  const creation = await h.services.passkeys.registrationOptions(h.user)
  const factor = await h.services.passkeys.register(
    h.user,
    authenticator.create(creation),
    'Laptop',
    context,
  )
  return { ...h, authenticator, factor }
}

describe('Passkeys: registration', () => {
  it('offers a resident key with user verification, an opaque user handle and the RP ID', async (t) => {
    const h = await harness(t)
    const options = await h.services.passkeys.registrationOptions(h.user)
    assert.equal(options.rp.id, 'portcullis.test')
    assert.equal(options.user.name, 'alice')
    assert.equal(Buffer.from(options.user.id, 'base64url').toString(), h.user.id)
    assert.ok(!Buffer.from(options.user.id, 'base64url').toString().includes('alice'))
    assert.equal(options.authenticatorSelection?.residentKey, 'required')
    assert.equal(options.authenticatorSelection?.userVerification, 'required')
    assert.deepEqual(options.excludeCredentials, [])
    assert.equal(options.timeout, 5 * minute)
  })

  it('stores the credential, its counter, transports and backup flags, and audits it', async (t) => {
    const h = await enrolled(t, { backupEligible: true })
    const [stored] = await h.services.passkeys.list(h.user.id)
    assert.ok(stored)
    assert.equal(stored.id, h.factor.id)
    assert.equal(stored.kind, 'passkey')
    assert.equal(stored.name, 'Laptop')
    assert.equal(stored.credentialId, h.authenticator.credentials[0]?.id.toString('base64url'))
    assert.equal(stored.signCount, 0)
    assert.deepEqual(stored.transports, ['internal'])
    assert.equal(stored.backupEligible, true)
    assert.equal(stored.backedUp, true)
    assert.notEqual(stored.confirmedAt, null)
    const [audit] = await h.audit('passkey.register')
    assert.deepEqual(audit?.detail, { factor_id: stored.id, backup_eligible: true })
    // The next options exclude it: the same authenticator cannot register twice.
    const next = await h.services.passkeys.registrationOptions(h.user)
    assert.deepEqual(next.excludeCredentials, [
      { id: stored.credentialId, type: 'public-key', transports: ['internal'] },
    ])
  })

  it('spends the challenge once, refuses it after 5 minutes and from another origin', async (t) => {
    const h = await harness(t)
    const authenticator = new SoftAuthenticator({ origin: ISSUER })
    const options = await h.services.passkeys.registrationOptions(h.user)
    const response = authenticator.create(options)
    await h.services.passkeys.register(h.user, response, undefined, context)
    await rejectsWith(
      h.services.passkeys.register(h.user, authenticator.create(options), undefined, context),
      'invalid_request',
    )
    const late = await h.services.passkeys.registrationOptions(h.user)
    h.clock.advance(5 * minute)
    await rejectsWith(
      h.services.passkeys.register(h.user, authenticator.create(late), undefined, context),
      'invalid_request',
    )
    const phished = await h.services.passkeys.registrationOptions(h.user)
    await rejectsWith(
      h.services.passkeys.register(
        h.user,
        authenticator.create(phished, 'http://evil.test'),
        undefined,
        context,
      ),
      'invalid_request',
    )
    assert.equal((await h.services.passkeys.list(h.user.id)).length, 1)
    const reasons = (await h.audit('passkey.failure')).map((a) => a.detail?.reason)
    assert.deepEqual(reasons, ['challenge', 'challenge', 'verification'])
  })

  it('refuses a registration without user verification, and a bad name', async (t) => {
    const h = await harness(t)
    const noUv = new SoftAuthenticator({ origin: ISSUER, userVerified: false })
    const options = await h.services.passkeys.registrationOptions(h.user)
    await rejectsWith(
      h.services.passkeys.register(h.user, noUv.create(options), undefined, context),
      'invalid_request',
    )
    const named = await h.services.passkeys.registrationOptions(h.user)
    const good = new SoftAuthenticator({ origin: ISSUER })
    for (const name of ['', '   ', 'x'.repeat(65), 'a\u0000b']) {
      await rejectsWith(
        h.services.passkeys.register(h.user, good.create(named), name, context),
        'invalid_request',
        /name/,
      )
    }
    assert.deepEqual(await h.services.passkeys.list(h.user.id), [])
  })

  it('renames and removes only the owner’s passkey', async (t) => {
    const h = await enrolled(t)
    const bob = await h.register('bob')
    await rejectsWith(h.services.passkeys.rename(bob, h.factor.id, 'Mine', context), 'not_found')
    await rejectsWith(h.services.passkeys.remove(bob, h.factor.id, context), 'not_found')
    await h.services.passkeys.rename(h.user.id, h.factor.id, ' Phone ', context)
    assert.equal((await h.services.passkeys.list(h.user.id))[0]?.name, 'Phone')
    await h.services.passkeys.remove(h.user.id, h.factor.id, context)
    assert.deepEqual(await h.services.passkeys.list(h.user.id), [])
    await rejectsWith(h.services.passkeys.remove(h.user.id, h.factor.id, context), 'not_found')
    assert.equal((await h.audit('passkey.rename')).length, 1)
    assert.equal((await h.audit('passkey.remove')).length, 1)
  })
})

describe('Passkeys: sign-in', () => {
  it('signs in without a username: no allowCredentials, counter recorded, hwk amr', async (t) => {
    const h = await enrolled(t)
    const options = await h.services.passkeySignIn.options(null)
    assert.equal(options.allowCredentials, undefined)
    assert.equal(options.userVerification, 'required')
    assert.equal(options.rpId, 'portcullis.test')
    h.clock.advance(minute)
    const signedIn = await h.services.passkeySignIn.verify(
      h.authenticator.get(options),
      null,
      context,
    )
    assert.ok(signedIn)
    assert.equal(signedIn.user.id, h.user.id)
    assert.equal(signedIn.method, 'passkey_hardware')
    assert.deepEqual(signInAmr(false, signedIn.method), ['hwk', 'user', 'mfa'])
    const [stored] = await h.services.passkeys.list(h.user.id)
    assert.equal(stored?.signCount, 1)
    assert.equal(stored?.lastUsedAt, new Date(h.clock.now()).toISOString())
    const [audit] = await h.audit('passkey.login')
    assert.deepEqual(audit?.detail, { factor_id: h.factor.id, method: 'passkey_hardware' })
  })

  it('a synced passkey signs in as swk; as second factor it lists the user’s credentials', async (t) => {
    const h = await enrolled(t, { backupEligible: true })
    const options = await h.services.passkeySignIn.options(h.user.id)
    assert.deepEqual(options.allowCredentials, [
      { id: h.factor.credentialId, type: 'public-key', transports: ['internal'] },
    ])
    const signedIn = await h.services.passkeySignIn.verify(
      h.authenticator.get(options),
      h.user.id,
      context,
    )
    assert.equal(signedIn?.method, 'passkey_synced')
    assert.deepEqual(signInAmr(true, 'passkey_synced'), ['pwd', 'swk', 'user', 'mfa'])
  })

  it('refuses a counter that does not increase (a cloned authenticator) and audits it', async (t) => {
    const h = await enrolled(t)
    const first = await h.services.passkeySignIn.options(null)
    assert.ok(await h.services.passkeySignIn.verify(h.authenticator.get(first), null, context))
    for (const counter of [1, 0]) {
      const again = await h.services.passkeySignIn.options(null)
      const replayed = h.authenticator.get(again, undefined, { counter })
      assert.equal(await h.services.passkeySignIn.verify(replayed, null, context), null)
    }
    assert.equal((await h.services.passkeys.list(h.user.id))[0]?.signCount, 1)
    const failures = await h.audit('passkey.failure')
    assert.deepEqual(
      failures.map((f) => [f.userId, f.detail?.reason]),
      [
        [h.user.id, 'counter'],
        [h.user.id, 'counter'],
      ],
    )
  })

  it('accepts an authenticator without a counter (always zero)', async (t) => {
    const h = await harness(t)
    const authenticator = new SoftAuthenticator({ origin: ISSUER, counterStep: 0 })
    const creation = await h.services.passkeys.registrationOptions(h.user)
    await h.services.passkeys.register(h.user, authenticator.create(creation), undefined, context)
    for (let i = 0; i < 2; i++) {
      const options = await h.services.passkeySignIn.options(null)
      assert.ok(await h.services.passkeySignIn.verify(authenticator.get(options), null, context))
    }
  })

  it('refuses a spent or expired challenge, another user’s, another origin, and no UV', async (t) => {
    const h = await enrolled(t)
    const sign = h.services.passkeySignIn
    const used = await sign.options(null)
    assert.ok(await sign.verify(h.authenticator.get(used), null, context))
    assert.equal(await sign.verify(h.authenticator.get(used), null, context), null)
    const expired = await sign.options(null)
    h.clock.advance(5 * minute)
    assert.equal(await sign.verify(h.authenticator.get(expired), null, context), null)
    const bob = await h.register('bob')
    const bobs = await sign.options(bob)
    assert.equal(await sign.verify(h.authenticator.get(bobs), bob, context), null)
    const phished = await sign.options(null)
    const evil = h.authenticator.get(phished, undefined, { origin: 'http://evil.test' })
    assert.equal(await sign.verify(evil, null, context), null)
    const unverified = new SoftAuthenticator({ origin: ISSUER, userVerified: false })
    unverified.credentials.push(...h.authenticator.credentials)
    const noUv = await sign.options(null)
    assert.equal(await sign.verify(unverified.get(noUv), null, context), null)
    const reasons = (await h.audit('passkey.failure')).map((f) => f.detail?.reason)
    assert.deepEqual(reasons, [
      'challenge',
      'challenge',
      'other_user',
      'verification',
      'verification',
    ])
  })

  it('refuses a disabled user and an unknown credential', async (t) => {
    const h = await enrolled(t)
    const stranger = new SoftAuthenticator({ origin: ISSUER })
    stranger.create(await h.services.passkeys.registrationOptions(h.user))
    const options = await h.services.passkeySignIn.options(null)
    assert.equal(await h.services.passkeySignIn.verify(stranger.get(options), null, context), null)
    await h.services.store.users.setDisabled(h.user.id, true, new Date(h.clock.now()).toISOString())
    const again = await h.services.passkeySignIn.options(null)
    assert.equal(
      await h.services.passkeySignIn.verify(h.authenticator.get(again), null, context),
      null,
    )
  })

  it('of concurrent assertions with one counter value, exactly one is recorded', async (t) => {
    for (let round = 0; round < 10; round++) {
      const h = await enrolled(t)
      const credential = h.authenticator.credentials[0]
      const assertions = []
      for (let i = 0; i < 4; i++) {
        const options = await h.services.passkeySignIn.options(null)
        assertions.push(h.authenticator.get(options, credential, { counter: 1 }))
      }
      const results = await Promise.all(
        assertions.map((a) => h.services.passkeySignIn.verify(a, null, context)),
      )
      assert.equal(results.filter((r) => r !== null).length, 1)
      assert.equal((await h.services.passkeys.list(h.user.id))[0]?.signCount, 1)
    }
  })
})
