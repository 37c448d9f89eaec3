import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { codeAt, mfaContext, multiFactorToken, STEP_MS } from '../auth/mfa-support.js'
import { buildTestApp, login, registerUser, type TestApp } from '../helpers.js'
import { assertError, call } from './admin-support.js'

const assertNoStore = (res: LightMyRequestResponse) =>
  assert.equal(res.headers['cache-control'], 'no-store', `${res.statusCode} ${res.body}`)

function captureLogs() {
  const lines: string[] = []
  return { lines, stream: { write: (line: string) => void lines.push(line) } }
}

async function signedIn(t: TestContext, env: Record<string, string> = {}) {
  const logs = captureLogs()
  const testApp = await buildTestApp(t, {
    env: { PORTCULLIS_LOG_LEVEL: 'trace', ...env },
    logStream: logs.stream,
  })
  const user = await registerUser(testApp.app, 'ada', undefined, { email: 'ada@example.com' })
  const token = await login(testApp.app, 'ada')
  return { ...testApp, user, token, logs }
}

async function enrollOverHttp(testApp: TestApp, token: string) {
  const enrolled = await call(testApp.app, 'POST', '/users/me/mfa/totp', { token })
  assert.equal(enrolled.statusCode, 200, enrolled.body)
  const { secret } = enrolled.json() as { secret: string }
  const confirmed = await call(testApp.app, 'POST', '/users/me/mfa/totp/confirm', {
    token,
    body: { code: codeAt(testApp, secret) },
  })
  assert.equal(confirmed.statusCode, 200, confirmed.body)
  testApp.clock.advance(STEP_MS)
  return { secret, codes: (confirmed.json() as { recovery_codes: string[] }).recovery_codes }
}

describe('/users/me/mfa: the authenticator app over HTTP', () => {
  it('enrolls, confirms and lists, never caching an answer nor logging a secret or code', async (t) => {
    const testApp = await signedIn(t)
    const { app, token, logs } = testApp

    const empty = await call(app, 'GET', '/users/me/mfa', { token })
    assert.equal(empty.statusCode, 200)
    assertNoStore(empty)
    assert.deepEqual(empty.json(), { factors: [], recovery_codes_remaining: 0 })

    const enrolled = await call(app, 'POST', '/users/me/mfa/totp', { token })
    assert.equal(enrolled.statusCode, 200, enrolled.body)
    assertNoStore(enrolled)
    const body = enrolled.json() as { secret: string; otpauth_uri: string; qr_svg: string }
    assert.deepEqual(Object.keys(body).sort(), ['otpauth_uri', 'qr_svg', 'secret'])
    assert.match(body.secret, /^[A-Z2-7]{32}$/)
    assert.match(body.otpauth_uri, /^otpauth:\/\/totp\/Portcullis:ada\?/)
    assert.match(body.qr_svg, /^<svg /)

    const pending = (await call(app, 'GET', '/users/me/mfa', { token })).json()
    assert.equal(pending.factors.length, 1)
    assert.equal(pending.factors[0].confirmed, false)
    assert.equal(pending.factors[0].kind, 'totp')
    assert.equal(pending.factors[0].last_used_at, null)

    const wrong = await call(app, 'POST', '/users/me/mfa/totp/confirm', {
      token,
      body: { code: codeAt(testApp, body.secret, 3) },
    })
    assertError(wrong, 400, 'invalid_request')
    assertNoStore(wrong)

    const confirmed = await call(app, 'POST', '/users/me/mfa/totp/confirm', {
      token,
      body: { code: codeAt(testApp, body.secret) },
    })
    assert.equal(confirmed.statusCode, 200, confirmed.body)
    assertNoStore(confirmed)
    const { recovery_codes } = confirmed.json() as { recovery_codes: string[] }
    assert.equal(recovery_codes.length, 10)

    const listed = await call(app, 'GET', '/users/me/mfa', { token })
    const listing = listed.json()
    assert.equal(listing.recovery_codes_remaining, 10)
    assert.deepEqual(Object.keys(listing.factors[0]).sort(), [
      'confirmed',
      'created_at',
      'id',
      'kind',
      'last_used_at',
      'name',
    ])
    assert.equal(listing.factors[0].confirmed, true)
    assert.ok(!listed.body.includes(body.secret))

    // Another app next to this one: the password-only sign-in must step up first; a recent
    // multi-factor one learns that one app is the most an account has.
    assertError(
      await call(app, 'POST', '/users/me/mfa/totp', { token }),
      401,
      'insufficient_user_authentication',
    )
    const stepped = await multiFactorToken(testApp, testApp.user.id)
    const again = await call(app, 'POST', '/users/me/mfa/totp', { token: stepped })
    assertError(again, 409, 'totp_enrolled')

    const text = logs.lines.join('')
    for (const secret of [body.secret, ...recovery_codes, codeAt(testApp, body.secret)]) {
      assert.ok(!text.includes(secret), `a secret reached the logs: ${secret}`)
    }
    assert.ok(
      logs.lines.some((l) => l.includes('mfa.totp_confirm')),
      'the logs were captured (the audit sink wrote)',
    )
  })

  it('removes the app (with the recovery codes) and regenerates codes after a multi-factor sign-in', async (t) => {
    const testApp = await signedIn(t)
    const { app, services, user } = testApp
    const { codes } = await enrollOverHttp(testApp, testApp.token)
    const token = await multiFactorToken(testApp, user.id)

    const regenerated = await call(app, 'POST', '/users/me/mfa/recovery-codes', { token })
    assert.equal(regenerated.statusCode, 200, regenerated.body)
    assertNoStore(regenerated)
    const fresh = (regenerated.json() as { recovery_codes: string[] }).recovery_codes
    assert.equal(fresh.length, 10)
    assert.ok(!fresh.some((c) => codes.includes(c)))
    const ada = await services.store.users.findById(user.id)
    assert.ok(ada)
    assert.equal(
      await services.mfa.verifyCode(ada, codes[0] ?? '', mfaContext),
      null,
      'old set void',
    )

    const removed = await call(app, 'DELETE', '/users/me/mfa/totp', { token })
    assert.equal(removed.statusCode, 204, removed.body)
    assertNoStore(removed)
    assert.deepEqual((await call(app, 'GET', '/users/me/mfa', { token })).json(), {
      factors: [],
      recovery_codes_remaining: 0,
    })
    assertError(await call(app, 'DELETE', '/users/me/mfa/totp', { token }), 404, 'not_found')
    assertError(
      await call(app, 'POST', '/users/me/mfa/recovery-codes', { token }),
      400,
      'invalid_request',
    )
    const types = (await services.store.audit.list({ userId: user.id, limit: 50 })).map(
      (r) => r.type,
    )
    for (const type of [
      'mfa.totp_enroll',
      'mfa.totp_confirm',
      'mfa.recovery_codes_regenerate',
      'mfa.totp_remove',
    ]) {
      assert.ok(types.includes(type as never), `${type} audited`)
    }
  })

  it('answers every bad input with a 4xx in the error shape', async (t) => {
    const testApp = await signedIn(t)
    const { app, token } = testApp
    const confirm = (body: unknown, headers: Record<string, string> = {}) =>
      call(app, 'POST', '/users/me/mfa/totp/confirm', { token, body: body as object, headers })

    assertError(await confirm({ code: '123456' }), 404, 'not_found')
    await call(app, 'POST', '/users/me/mfa/totp', { token })
    assertError(await confirm({}), 400, 'invalid_request')
    assertError(await confirm({ code: 123456 }), 400, 'invalid_request')
    assertError(await confirm({ code: 'x'.repeat(65) }), 400, 'invalid_request')
    assertError(await confirm({ code: '123456', extra: 1 }), 400, 'invalid_request')
    assertError(await confirm({ code: '' }), 400, 'invalid_request')
    assertError(await confirm({ code: 'abcdef' }), 400, 'invalid_request')
    assertError(
      await confirm('code=123456', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    )
    assertError(
      await confirm('{"code":', { 'content-type': 'application/json' }),
      400,
      'invalid_request',
    )
    assertError(
      await confirm({ code: '1'.repeat(64) + 'x'.repeat(20000) }),
      413,
      'payload_too_large',
    )

    for (const [method, url] of [
      ['GET', '/users/me/mfa'],
      ['POST', '/users/me/mfa/totp'],
      ['POST', '/users/me/mfa/totp/confirm'],
      ['DELETE', '/users/me/mfa/totp'],
      ['POST', '/users/me/mfa/recovery-codes'],
    ] as const) {
      const body = url.endsWith('/confirm') ? { code: '123456' } : undefined
      const anonymous = await call(app, method, url, { body })
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`)
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer /)
    }

    const { services } = testApp
    const clientId = services.config.clients.builtinId
    const { session } = await services.sessions.start(
      testApp.user.id,
      clientId,
      'email',
      { ip: null, userAgent: null },
      { refreshToken: true },
    )
    const emailOnly = (await services.tokens.issue(testApp.user.id, clientId, 'email', session))
      .token
    assertError(
      await call(app, 'GET', '/users/me/mfa', { token: emailOnly }),
      403,
      'insufficient_scope',
    )
    assertError(
      await call(app, 'POST', '/users/me/mfa/totp', { token: emailOnly }),
      403,
      'insufficient_scope',
    )
  })
})
