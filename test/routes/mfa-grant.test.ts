import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { codeAt, enrolledUser, STEP_MS } from '../auth/mfa-support.js'
import { buildTestApp, createClient, postToken, registerUser } from '../helpers.js'
import { firstStep, MFA_GRANT, secondStep, sessionOf } from './mfa-grant-support.js'

describe('password grant with a second factor', () => {
  it('answers mfa_required with no session, then the MFA grant completes with amr pwd otp mfa', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services, clock } = testApp
    const { user, secret } = await enrolledUser(testApp, 'alice')
    const authTime = new Date(clock.now()).toISOString()
    const { res, body } = await firstStep(app, 'alice', 'mfa_required', { scope: 'profile' })
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.deepEqual(body.mfa_methods, ['totp', 'recovery_code'])
    assert.match(body.mfa_token, /^[A-Za-z0-9_-]{43}$/)
    assert.match(body.error_description, /second factor/)
    assert.deepEqual(await services.store.sessions.listForUser(user.id), [])
    const audited = await services.audit.list({ type: 'mfa.required', limit: 10 })
    assert.equal(audited.length, 1)

    clock.advance(10_000)
    const done = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(done.statusCode, 200, done.body)
    assert.equal(done.headers['cache-control'], 'no-store')
    const tokens = done.json() as Record<string, string>
    assert.equal(tokens.scope, 'profile')
    assert.ok(tokens.refresh_token)
    assert.equal(tokens.recovery_codes, undefined)
    const session = await sessionOf(services, tokens.access_token as string)
    // The session (and so every token of it, and each refresh) carries the sign-in's amr and
    // the password's check time.
    assert.deepEqual(session.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(session.authTime, authTime)
    const me = await app.inject({
      method: 'GET',
      url: '/users/me',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    assert.equal(me.statusCode, 200)
  })

  it('never accepts a code twice, nor the token again', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const code = codeAt(testApp, secret)
    const first = await firstStep(app, 'alice')
    assert.equal((await secondStep(app, first.body.mfa_token, code)).statusCode, 200)
    const again = await secondStep(app, first.body.mfa_token, code)
    assert.equal(again.statusCode, 400)
    assert.equal(again.json().error, 'invalid_grant')
    assert.match(again.json().error_description, /mfa_token/)
    // A replayed code with a fresh token: the step was used.
    const second = await firstStep(app, 'alice')
    const replay = await secondStep(app, second.body.mfa_token, code)
    assert.equal(replay.statusCode, 400)
    assert.equal(replay.json().error, 'invalid_grant')
    assert.match(replay.json().error_description, /code is wrong/)
  })

  it('accepts the codes of one step either side and refuses two steps away', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    testApp.clock.advance(10 * STEP_MS)
    const { body } = await firstStep(app, 'alice')
    for (const steps of [-2, 2]) {
      const res = await secondStep(app, body.mfa_token, codeAt(testApp, secret, steps))
      assert.equal(res.statusCode, 400, `${steps} steps`)
    }
    const before = await secondStep(app, body.mfa_token, codeAt(testApp, secret, -1))
    assert.equal(before.statusCode, 200, before.body)
    // The next step's code is still unused (only later steps than the last accepted count).
    const next = await firstStep(app, 'alice')
    const after = await secondStep(app, next.body.mfa_token, codeAt(testApp, secret, 1))
    assert.equal(after.statusCode, 200, after.body)
  })

  it('takes a recovery code once, with amr pwd mfa', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    const { recoveryCodes } = await enrolledUser(testApp, 'alice')
    const code = recoveryCodes[0] as string
    const { body } = await firstStep(app, 'alice')
    const done = await secondStep(app, body.mfa_token, code)
    assert.equal(done.statusCode, 200, done.body)
    const session = await sessionOf(services, done.json().access_token)
    assert.deepEqual(session.amr, ['pwd', 'mfa'])
    const next = await firstStep(app, 'alice')
    const reused = await secondStep(app, next.body.mfa_token, code)
    assert.equal(reused.statusCode, 400)
    assert.equal(reused.json().error, 'invalid_grant')
  })

  it('expires the mfa_token after 5 minutes', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, clock } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const { body } = await firstStep(app, 'alice')
    clock.advance(5 * 60_000 - 1)
    const live = await firstStep(app, 'alice')
    clock.advance(1)
    const res = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
    assert.match(res.json().error_description, /expired/)
    assert.equal(
      (await secondStep(app, live.body.mfa_token, codeAt(testApp, secret))).statusCode,
      200,
    )
  })

  it('spends the mfa_token after 5 wrong codes', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const { body } = await firstStep(app, 'alice')
    for (let i = 0; i < 5; i++) {
      const res = await secondStep(app, body.mfa_token, '000000')
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_grant')
    }
    const res = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(res.statusCode, 400)
    assert.match(res.json().error_description, /mfa_token is invalid/)
  })

  it("refuses another client's mfa_token, and clients without the password grant", async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const other = await createClient(testApp, {
      confidential: false,
      grantTypes: ['password'],
      scopes: ['profile'],
    })
    const { body } = await firstStep(app, 'alice', 'mfa_required', { client_id: other.client.id })
    const res = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
    const machine = await createClient(testApp, { id: 'machine' })
    const refused = await secondStep(app, body.mfa_token, codeAt(testApp, secret), {
      client_id: 'machine',
      client_secret: machine.secret as string,
    })
    assert.equal(refused.statusCode, 400)
    assert.equal(refused.json().error, 'unauthorized_client')
    const own = await secondStep(app, body.mfa_token, codeAt(testApp, secret), {
      client_id: other.client.id,
    })
    assert.equal(own.statusCode, 200, own.body)
  })

  it('asks for mfa_token and otp', async (t) => {
    const { app } = await buildTestApp(t)
    for (const form of [{ otp: '123456' }, { mfa_token: 'x' }] as Record<string, string>[]) {
      const res = await postToken(app, { grant_type: MFA_GRANT, ...form })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
    }
  })

  it('is off with the password grant', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_PASSWORD_GRANT: 'false' } })
    const res = await postToken(app, { grant_type: MFA_GRANT, mfa_token: 'x', otp: '123456' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'unsupported_grant_type')
  })

  it('answers a wrong password the same whether or not MFA is on', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    await enrolledUser(testApp, 'alice')
    await registerUser(app, 'bob')
    const answers = []
    for (const username of ['alice', 'bob', 'nobody']) {
      const res = await postToken(app, { username, password: 'wrong password here' })
      answers.push({ status: res.statusCode, body: res.body, cache: res.headers['cache-control'] })
    }
    assert.deepEqual(answers[0], answers[1])
    assert.deepEqual(answers[0], answers[2])
    assert.equal(answers[0]?.status, 400)
    // Same work: one password check each, and no second step started.
    assert.equal((await services.audit.list({ type: 'login.failure', limit: 10 })).length, 3)
    assert.equal((await services.audit.list({ type: 'mfa.required', limit: 10 })).length, 0)
  })

  it('names the hosted login page when the only factor is a passkey', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services, clock } = testApp
    const user = await registerUser(app, 'alice')
    const at = new Date(clock.now()).toISOString()
    await services.store.mfaFactors.insert({
      id: randomUUID(),
      userId: user.id,
      kind: 'passkey',
      name: 'laptop',
      secret: null,
      lastStep: null,
      credentialId: 'Y3JlZGVudGlhbC1pZA',
      publicKey: 'cHVibGljLWtleQ',
      signCount: 0,
      transports: [],
      backupEligible: false,
      backedUp: false,
      createdAt: at,
      confirmedAt: at,
      lastUsedAt: null,
    })
    const { body } = await firstStep(app, 'alice')
    assert.deepEqual(body.mfa_methods, ['passkey'])
    assert.match(body.error_description, /hosted login page/)
    const res = await secondStep(app, body.mfa_token, '123456')
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
  })

  it('throttles wrong codes per account, answering 429 even to a right code', async (t) => {
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_LOGIN_DELAY_AFTER: '2' },
    })
    const { app, clock } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const { body } = await firstStep(app, 'alice')
    for (let i = 0; i < 2; i++) {
      assert.equal((await secondStep(app, body.mfa_token, '000000')).statusCode, 400)
    }
    const blocked = await secondStep(app, body.mfa_token, codeAt(testApp, secret))
    assert.equal(blocked.statusCode, 429)
    assert.equal(blocked.json().error, 'too_many_requests')
    assert.equal(blocked.headers['retry-after'], '60')
    // The password step is not blocked by wrong codes.
    const again = await firstStep(app, 'alice')
    clock.advance(60_000)
    const done = await secondStep(app, again.body.mfa_token, codeAt(testApp, secret))
    assert.equal(done.statusCode, 200, done.body)
    assert.ok(done.json().device_token)
  })

  it('keeps amr and auth_time across a refresh', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services, clock } = testApp
    const { secret } = await enrolledUser(testApp, 'alice')
    const authTime = new Date(clock.now()).toISOString()
    const { body } = await firstStep(app, 'alice')
    const done = (await secondStep(app, body.mfa_token, codeAt(testApp, secret))).json()
    clock.advance(60_000)
    const refreshed = await postToken(app, {
      grant_type: 'refresh_token',
      refresh_token: done.refresh_token,
    })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    const session = await sessionOf(services, refreshed.json().access_token)
    assert.deepEqual([session.amr, session.authTime], [['pwd', 'otp', 'mfa'], authTime])
  })
})
