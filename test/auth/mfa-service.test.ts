import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Secret } from 'otpauth'
import { cliActor } from '../../src/auth/audit.js'
import { sha256 } from '../../src/auth/sha256.js'
import type { MfaFactorRecord } from '../../src/store/store.js'
import { buildTestApp, registerUser, type TestApp } from '../helpers.js'
import { messagesTo } from '../support/outbox.js'
import { codeAt, enrolledUser, mfaContext, STEP_MS, userRecord } from './mfa-support.js'

const KEY = Buffer.alloc(32, 7).toString('base64')

const passkeyRow = (userId: string, at: string): MfaFactorRecord => ({
  id: `pk-${userId}`,
  userId,
  kind: 'passkey',
  name: 'laptop',
  secret: null,
  lastStep: null,
  credentialId: `cred-${userId}`,
  publicKey: 'AQID',
  signCount: 0,
  transports: ['internal'],
  backupEligible: false,
  backedUp: false,
  createdAt: at,
  confirmedAt: at,
  lastUsedAt: null,
})

async function auditTypes({ services }: TestApp, userId: string) {
  const records = await services.store.audit.list({ userId, limit: 100 })
  return records.map((r) => `${r.type}:${r.outcome}`).sort()
}

describe('MfaService: TOTP enrollment', () => {
  it('enrolls a pending factor with a sealed secret, an otpauth URI and an SVG QR code; nothing changes until confirmed', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_KEY_ENCRYPTION_KEY: KEY } })
    const { services } = testApp
    await registerUser(testApp.app, 'ada')
    const ada = await userRecord(testApp, 'ada')

    const enrollment = await services.mfa.enrollTotp(ada, mfaContext)
    assert.match(enrollment.secret, /^[A-Z2-7]{32}$/, '160 bits in base32')
    assert.equal(Secret.fromBase32(enrollment.secret).bytes.length, 20)
    const uri = new URL(enrollment.otpauthUri)
    assert.equal(uri.protocol, 'otpauth:')
    assert.equal(uri.host, 'totp')
    assert.equal(decodeURIComponent(uri.pathname), '/Portcullis:ada')
    assert.equal(uri.searchParams.get('issuer'), 'Portcullis')
    assert.equal(uri.searchParams.get('secret'), enrollment.secret)
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1')
    assert.equal(uri.searchParams.get('digits'), '6')
    assert.equal(uri.searchParams.get('period'), '30')
    assert.match(enrollment.qrSvg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)

    const [row] = await services.store.mfaFactors.listForUser(ada.id)
    assert.equal(row?.confirmedAt, null)
    assert.match(row?.secret ?? '', /^enc:v2:/, 'sealed at rest under the key-encryption key')
    assert.ok(!row?.secret?.includes(enrollment.secret))
    assert.deepEqual(await services.mfa.methods(ada.id), [], 'a pending enrollment changes nothing')
    assert.equal(await services.mfa.hasFactor(ada.id), false)
    assert.equal(
      await services.mfa.verifyCode(ada, codeAt(testApp, enrollment.secret), mfaContext),
      null,
      'a pending factor does not sign in',
    )
  })

  it('confirms with a current code, returns ten distinct recovery codes once, and refuses a second enrollment', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    await registerUser(testApp.app, 'ada')
    const ada = await userRecord(testApp, 'ada')
    const { secret } = await services.mfa.enrollTotp(ada, mfaContext)

    await assert.rejects(services.mfa.confirmTotp(ada.id, '000000', mfaContext), {
      code: 'invalid_request',
    })
    await assert.rejects(services.mfa.confirmTotp(ada.id, 'not a code', mfaContext), {
      code: 'invalid_request',
    })
    assert.equal(await services.mfa.hasFactor(ada.id), false, 'a wrong code keeps it pending')

    const codes = await services.mfa.confirmTotp(ada.id, codeAt(testApp, secret), mfaContext)
    assert.equal(codes.length, 10)
    assert.equal(new Set(codes).size, 10)
    for (const code of codes) assert.match(code, /^[a-z2-7]{5}-[a-z2-7]{5}$/)
    assert.deepEqual(await services.mfa.methods(ada.id), ['totp', 'recovery_code'])
    assert.equal(await services.mfa.hasFactor(ada.id), true)
    assert.equal(
      await services.mfa.verifyCode(ada, codeAt(testApp, secret), mfaContext),
      null,
      'the confirming code is used up',
    )
    await assert.rejects(services.mfa.confirmTotp(ada.id, codeAt(testApp, secret), mfaContext), {
      code: 'not_found',
    })
    await assert.rejects(services.mfa.enrollTotp(ada, mfaContext), { code: 'totp_enrolled' })
    const stored = await services.store.audit.list({ userId: ada.id, limit: 100 })
    assert.ok(
      stored.every((r) => !(r.detail ?? '').includes(secret)),
      'no secret in the audit log',
    )
    assert.deepEqual(
      (await auditTypes(testApp, ada.id)).filter((x) => x.startsWith('mfa.')),
      [
        'mfa.failure:failure',
        'mfa.totp_confirm:failure',
        'mfa.totp_confirm:failure',
        'mfa.totp_confirm:success',
        'mfa.totp_enroll:success',
      ],
    )
  })

  it('lets a new enrollment replace a pending one, whose secret then stops confirming', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    await registerUser(testApp.app, 'ada')
    const ada = await userRecord(testApp, 'ada')
    const first = await services.mfa.enrollTotp(ada, mfaContext)
    const second = await services.mfa.enrollTotp(ada, mfaContext)
    assert.equal((await services.store.mfaFactors.listForUser(ada.id)).length, 1)
    await assert.rejects(
      services.mfa.confirmTotp(ada.id, codeAt(testApp, first.secret), mfaContext),
      { code: 'invalid_request' },
    )
    await services.mfa.confirmTotp(ada.id, codeAt(testApp, second.secret), mfaContext)
    assert.equal(await services.mfa.hasFactor(ada.id), true)
  })
})

describe('MfaService.verifyCode: TOTP window and replay', () => {
  it('accepts the codes of steps -1, 0 and +1, refuses ±2, a replay and a step older than the last used', async (t) => {
    const testApp = await buildTestApp(t)
    const { services, clock } = testApp
    const { user, secret } = await enrolledUser(testApp, 'ada')
    clock.advance(10 * STEP_MS)
    const verify = (steps: number) =>
      services.mfa.verifyCode(user, codeAt(testApp, secret, steps), mfaContext)

    assert.equal(await verify(-2), null, 'two steps late')
    assert.equal(await verify(2), null, 'two steps early')
    assert.equal(await verify(-1), 'totp')
    assert.equal(await verify(-1), null, 'a replay of the same step')
    assert.equal(await verify(0), 'totp')
    assert.equal(await verify(1), 'totp')
    assert.equal(await verify(1), null, 'a replay of the newest step')
    assert.equal(await verify(0), null, 'a step older than the last used')
    assert.equal(await services.mfa.verifyCode(user, '12345', mfaContext), null, 'a wrong shape')
    clock.advance(2 * STEP_MS)
    assert.equal(
      await services.mfa.verifyCode(
        user,
        ` ${codeAt(testApp, secret).replace(/(\d{3})/, '$1 ')}`,
        mfaContext,
      ),
      'totp',
      'spaces ignored',
    )
    const [factor] = await services.store.mfaFactors.listForUser(user.id)
    assert.equal(factor?.lastUsedAt, new Date(clock.now()).toISOString())
  })

  it('accepts one of many concurrent uses of one code', async (t) => {
    const testApp = await buildTestApp(t)
    const { services, clock } = testApp
    const { user, secret } = await enrolledUser(testApp, 'ada')
    for (let round = 0; round < 10; round++) {
      clock.advance(STEP_MS)
      const code = codeAt(testApp, secret)
      const results = await Promise.all(
        Array.from({ length: 8 }, () => services.mfa.verifyCode(user, code, mfaContext)),
      )
      assert.equal(results.filter((r) => r === 'totp').length, 1, `round ${round}: ${results}`)
      assert.equal(results.filter((r) => r === null).length, 7)
    }
  })
})

describe('MfaService: recovery codes', () => {
  it('spends a code once in any typed form, audits it and notices the user', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const { user, recoveryCodes } = await enrolledUser(testApp, 'ada', { email: 'ada@example.com' })
    const [first = '', second = ''] = recoveryCodes

    assert.equal(
      await services.mfa.verifyCode(user, first.toUpperCase(), mfaContext),
      'recovery_code',
    )
    assert.equal(await services.mfa.verifyCode(user, first, mfaContext), null, 'spent')
    assert.equal(
      await services.mfa.verifyCode(user, ` ${second.replace('-', ' ')} `, mfaContext),
      'recovery_code',
      'spaces instead of the dash',
    )
    assert.equal(await services.mfa.verifyCode(user, 'aaaaa-aaaaa', mfaContext), null, 'unknown')
    assert.equal((await services.mfa.list(user.id)).recoveryCodesRemaining, 8)

    const used = await services.store.audit.list({ type: 'mfa.recovery_code_used', limit: 10 })
    assert.equal(used.length, 2)
    assert.equal(used[0]?.userId, user.id)
    assert.ok(used.every((r) => !recoveryCodes.some((c) => (r.detail ?? '').includes(c))))
    const notices = await messagesTo(services.store, 'ada@example.com', 'recovery_code_used')
    assert.equal(notices.length, 2)
    assert.match(notices[1]?.textBody ?? '', /8 unused codes remain/)
    assert.ok(!notices.some((n) => recoveryCodes.some((c) => n.textBody.includes(c))))
  })

  it("stores no bare SHA-256 of a code, and a code copied into another user's set does not work there", async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_KEY_ENCRYPTION_KEY: KEY } })
    const { services } = testApp
    const ada = await enrolledUser(testApp, 'ada')
    const bob = await enrolledUser(testApp, 'bob')
    const stored = (await services.store.recoveryCodes.page(null, 100))
      .filter((r) => r.userId === ada.user.id)
      .map((r) => r.hash)
    assert.equal(stored.length, 10)
    const bare = ada.recoveryCodes.map((c) => sha256(c.replace('-', '')))
    assert.deepEqual(
      stored.filter((h) => bare.includes(h)),
      [],
      'a guess hashed once must not be testable against the table',
    )
    const [first = '', second = ''] = ada.recoveryCodes
    assert.equal(await services.mfa.verifyCode(ada.user, first, mfaContext), 'recovery_code')
    assert.equal(await services.mfa.verifyCode(ada.user, first, mfaContext), null, 'spent')
    // Ada's stored rows moved into Bob's set: the same code text hashes differently for Bob
    // (the user id salts it), so one hashed guess does not fit every user's codes.
    const at = new Date(testApp.clock.now()).toISOString()
    await services.store.recoveryCodes.replace(ada.user.id, [], at)
    await services.store.recoveryCodes.replace(bob.user.id, stored, at)
    assert.equal(await services.mfa.verifyCode(bob.user, second, mfaContext), null)
    // The key is a server secret sealed by the key-encryption key, like the others.
    const key = (await services.store.secrets.list()).find((s) => s.name === 'recovery-code-key')
    assert.match(key?.value ?? '', /^enc:/)
  })

  it('spends one code exactly once under concurrent use', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, recoveryCodes } = await enrolledUser(testApp, 'ada')
    for (const code of recoveryCodes.slice(0, 5)) {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => testApp.services.mfa.verifyCode(user, code, mfaContext)),
      )
      assert.equal(results.filter((r) => r === 'recovery_code').length, 1, `${results}`)
    }
    assert.equal((await testApp.services.mfa.list(user.id)).recoveryCodesRemaining, 5)
  })

  it('regenerating voids the old set; without a factor there is nothing to regenerate', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const { user, recoveryCodes } = await enrolledUser(testApp, 'ada', { email: 'ada@example.com' })
    const fresh = await services.mfa.regenerateRecoveryCodes(user.id, mfaContext)
    assert.equal(fresh.length, 10)
    assert.equal(await services.mfa.verifyCode(user, recoveryCodes[0] ?? '', mfaContext), null)
    assert.equal(await services.mfa.verifyCode(user, fresh[0] ?? '', mfaContext), 'recovery_code')
    assert.equal(
      (await messagesTo(services.store, 'ada@example.com', 'mfa_changed')).length,
      2,
      'enrollment and regeneration noticed',
    )

    await registerUser(testApp.app, 'bob')
    const bob = await userRecord(testApp, 'bob')
    await assert.rejects(services.mfa.regenerateRecoveryCodes(bob.id, mfaContext), {
      code: 'invalid_request',
    })
    assert.equal(
      await services.mfa.verifyCode(bob, fresh[1] ?? '', mfaContext),
      null,
      "not ada's codes",
    )
  })
})

describe('MfaService: methods, listing, removal and reset', () => {
  it('counts a passkey as a factor and lists factors without secrets', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    await registerUser(testApp.app, 'bob')
    const bob = await userRecord(testApp, 'bob')
    await services.store.mfaFactors.insert(
      passkeyRow(bob.id, new Date(testApp.clock.now()).toISOString()),
    )
    assert.deepEqual(await services.mfa.methods(bob.id), ['passkey'])
    assert.equal(await services.mfa.hasFactor(bob.id), true)

    const { user, secret } = await enrolledUser(testApp, 'ada')
    await services.store.mfaFactors.insert(
      passkeyRow(user.id, new Date(testApp.clock.now()).toISOString()),
    )
    assert.deepEqual(await services.mfa.methods(user.id), ['totp', 'recovery_code', 'passkey'])
    const summary = await services.mfa.list(user.id)
    assert.equal(summary.recoveryCodesRemaining, 10)
    assert.deepEqual(
      summary.factors.map((f) => [f.kind, f.name, f.confirmed]),
      [
        ['totp', 'Authenticator app', true],
        ['passkey', 'laptop', true],
      ],
    )
    assert.ok(!JSON.stringify(summary).includes(secret))
    assert.deepEqual(Object.keys(summary.factors[0] ?? {}).sort(), [
      'confirmed',
      'createdAt',
      'id',
      'kind',
      'lastUsedAt',
      'name',
    ])
  })

  it('removing the authenticator app takes the recovery codes with the last factor', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const { user, recoveryCodes } = await enrolledUser(testApp, 'ada', { email: 'ada@example.com' })
    await services.mfa.removeTotp(user.id, mfaContext)
    assert.deepEqual(await services.mfa.methods(user.id), [])
    assert.equal(await services.mfa.verifyCode(user, recoveryCodes[0] ?? '', mfaContext), null)
    assert.deepEqual(await services.mfa.list(user.id), { factors: [], recoveryCodesRemaining: 0 })
    await assert.rejects(services.mfa.removeTotp(user.id, mfaContext), { code: 'not_found' })
    const notices = await messagesTo(services.store, 'ada@example.com', 'mfa_changed')
    assert.match(notices.at(-1)?.textBody ?? '', /authenticator app was removed/)
  })

  it("an operator's reset deletes every factor and code, is audited with the actor, and notices the user", async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const { user } = await enrolledUser(testApp, 'ada', { email: 'ada@example.com' })
    await services.store.mfaFactors.insert(
      passkeyRow(user.id, new Date(testApp.clock.now()).toISOString()),
    )
    assert.equal(await services.mfa.reset(user.id, cliActor), 2)
    assert.deepEqual(await services.mfa.list(user.id), { factors: [], recoveryCodesRemaining: 0 })
    const [event] = await services.store.audit.list({ type: 'admin.user.mfa_reset', limit: 5 })
    assert.equal(event?.userId, user.id)
    assert.equal(event?.actorId, 'cli')
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), { factors_deleted: 2 })
    const notices = await messagesTo(services.store, 'ada@example.com', 'mfa_changed')
    assert.match(notices.at(-1)?.textBody ?? '', /administrator removed every second factor/)
    await assert.rejects(services.mfa.reset('nobody', cliActor), { code: 'not_found' })
  })
})
