/**
 * The hosted login page's second step over HTTP on the real flow and store: after a right
 * password a user with a factor gets the code form (no browser session yet, the token in a
 * hidden field); a right TOTP or recovery code starts the session with its amr, which the code,
 * the ID token and a refresh carry; wrong, spent, expired, cross-site and repeated inputs each
 * get their one answer.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { codeAt, enrolledUser, STEP_MS } from '../auth/mfa-support.js'
import { buildTestApp, postToken, registerUser, type TestApp } from '../helpers.js'
import { attr } from '../support/html-page.js'
import {
  assertErrorPage,
  authorizeQuery,
  getAuthorize,
  pkce,
  redirected,
} from './authorize-support.js'
import {
  openLogin,
  postStep,
  sessionCookie,
  stepPage,
  submitPassword,
  tokensOf,
} from './login-mfa-support.js'
import { assertPageHeaders, openForm } from './login-support.js'

const ORIGIN = 'https://app.example'

/** A user `alice` with TOTP, and the code form her right password leads to. */
async function atSecondStep(testApp: TestApp, extra: Record<string, string> = {}) {
  const enrolled = await enrolledUser(testApp, 'alice')
  const login = await openLogin(testApp, extra)
  const res = await submitPassword(testApp, login.form, 'alice')
  return { ...enrolled, ...login, step: stepPage(res), passwordAt: testApp.clock.now() }
}

describe('POST /login with a second factor', () => {
  it('answers the code form: labelled one-time-code field, recovery path, token hidden, no session', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, query } = await atSecondStep(testApp)
    assertPageHeaders(step.res, ORIGIN)
    assert.equal(sessionCookie(step.res), undefined)
    const { page, fields } = step
    const code = page.byId('code')
    assert.equal(attr(code, 'autocomplete'), 'one-time-code')
    assert.equal(attr(code, 'inputmode'), 'numeric')
    assert.equal(
      page.text(page.one((e) => e.name === 'label' && attr(e, 'for') === 'code')),
      'Code from your authenticator app',
    )
    assert.equal(page.text(page.one((e) => e.name === 'summary')), 'Use a recovery code')
    assert.ok(page.one((e) => e.name === 'label' && attr(e, 'for') === 'recovery-code'))
    assert.match(fields.mfa_token ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.match(fields.csrf ?? '', /^[A-Za-z0-9_-]{43}$/)
    for (const [name, value] of Object.entries(query)) assert.equal(fields[name], value, name)
    for (const form of page.all((e) => e.name === 'form')) {
      assert.equal(attr(form, 'action'), 'login-mfa')
      assert.equal(attr(form, 'method'), 'post')
    }
    assert.ok(page.byId('second-factor-passkey'))
    assert.equal(page.all((e) => e.name === 'script').length, 0)
    // The token never travels in an address.
    assert.ok(!String(step.res.headers.location ?? '').includes(fields.mfa_token as string))
  })
})

describe('POST /login-mfa', () => {
  it('a right TOTP code signs in: code, ID token and refresh carry amr pwd otp mfa and the password time', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client, verifier, user, passwordAt } = await atSecondStep(testApp)
    testApp.clock.advance(10_000)
    const res = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const cookie = sessionCookie(res)
    assert.ok(cookie)
    const { id, body } = await tokensOf(testApp, res, client, verifier)
    assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(id.auth_time, Math.floor(passwordAt / 1000))
    assert.equal(id.sub, user.id)
    assert.equal(id.nonce, 'n-1')
    const browser = await testApp.services.browserSessions.current(cookie.split('=')[1] as string)
    assert.deepEqual(browser?.session.amr, ['pwd', 'otp', 'mfa'])
    assert.ok(body.refresh_token)
    {
      const refreshed = await postToken(testApp.app, {
        grant_type: 'refresh_token',
        refresh_token: body.refresh_token,
        client_id: client.id,
      })
      assert.equal(refreshed.statusCode, 200, refreshed.body)
      const again = decodeJwt((refreshed.json() as { id_token: string }).id_token)
      assert.deepEqual(again.amr, ['pwd', 'otp', 'mfa'])
      assert.equal(again.auth_time, Math.floor(passwordAt / 1000))
    }
    // Single sign-on goes on with the session's amr, without a second code.
    const sso = await getAuthorize(testApp, authorizeQuery(client, 'c'.repeat(43)), cookie)
    assert.ok(redirected(sso).params.get('code'))
  })

  it('a recovery code signs in once with amr pwd mfa; the same code later is refused', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, recoveryCodes, client, verifier } = await atSecondStep(testApp)
    const recovery = recoveryCodes[0] as string
    const res = await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code: recovery })
    const { id } = await tokensOf(testApp, res, client, verifier)
    assert.deepEqual(id.amr, ['pwd', 'mfa'])
    const second = await openLogin(testApp)
    const step2 = stepPage(await submitPassword(testApp, second.form, 'alice'))
    const reused = await postStep(testApp, 'login-mfa', step2, second.form.csrfCookie, {
      code: recovery,
    })
    const again = stepPage(reused, 400)
    assert.equal(sessionCookie(reused), undefined)
    assert.equal(
      again.page.text(again.page.byId('form-error')),
      'That code is not right. Try again.',
    )
  })

  it('a wrong code shows the form again with one message and the same token; then a right one works', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client, verifier } = await atSecondStep(testApp)
    const wrong = await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code: '000000' })
    const again = stepPage(wrong, 400)
    assert.equal(sessionCookie(wrong), undefined)
    assert.equal(
      again.page.text(again.page.byId('form-error')),
      'That code is not right. Try again.',
    )
    assert.equal(attr(again.page.byId('code'), 'aria-invalid'), 'true')
    assert.equal(again.fields.mfa_token, step.fields.mfa_token)
    const right = await postStep(testApp, 'login-mfa', again, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const { id } = await tokensOf(testApp, right, client, verifier)
    assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa'])
  })

  it('a used code is not accepted twice (one TOTP step, one sign-in)', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret } = await atSecondStep(testApp)
    const code = codeAt(testApp, secret)
    redirected(await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code }))
    const second = await openLogin(testApp)
    const step2 = stepPage(await submitPassword(testApp, second.form, 'alice'))
    stepPage(await postStep(testApp, 'login-mfa', step2, second.form.csrfCookie, { code }), 400)
  })

  it('after five wrong codes the token is spent: the login form again, the right code no longer counts', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret } = await atSecondStep(testApp)
    for (let i = 0; i < 4; i++) {
      const res = await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code: '000000' })
      stepPage(res, 400)
    }
    testApp.clock.advance(3600_000)
    const fifth = await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code: '000000' })
    const startAgain = stepPage(fifth, 400)
    assert.ok(startAgain.page.input('password'))
    assert.match(startAgain.page.text(startAgain.page.byId('form-error')), /sign-in expired/)
    const late = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    assert.ok(stepPage(late, 400).page.input('password'))
    assert.equal(sessionCookie(late), undefined)
  })

  it('is throttled like the password grant: 429 with Retry-After, then the right code works', async (t) => {
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_LOGIN_DELAY_AFTER: '2' },
    })
    const { step, form, secret, client, verifier } = await atSecondStep(testApp)
    for (let i = 0; i < 2; i++) {
      stepPage(await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code: '000000' }), 400)
    }
    const blocked = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    assert.equal(blocked.statusCode, 429, blocked.body)
    assert.equal(blocked.headers['retry-after'], '60')
    assert.match(blocked.body, /Too many wrong codes\. Wait 1 minute/)
    assert.equal(sessionCookie(blocked), undefined)
    testApp.clock.advance(60_000)
    const right = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    assert.deepEqual((await tokensOf(testApp, right, client, verifier)).id.amr, [
      'pwd',
      'otp',
      'mfa',
    ])
  })

  it('an expired token (after 5 minutes) leads back to the login form', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret } = await atSecondStep(testApp)
    testApp.clock.advance(5 * 60_000)
    const res = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const page = stepPage(res, 400)
    assert.ok(page.page.input('password'))
    assert.equal(sessionCookie(res), undefined)
  })

  it('refuses a form without its CSRF cookie or field: 403, the token untouched', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client, verifier } = await atSecondStep(testApp)
    const code = codeAt(testApp, secret)
    const noCookie = await postStep(testApp, 'login-mfa', step, 'other=1', { code })
    assert.equal(noCookie.statusCode, 403)
    const { csrf: _csrf, ...withoutField } = step.fields
    const noField = await postStep(
      testApp,
      'login-mfa',
      { ...step, fields: withoutField },
      form.csrfCookie,
      { code },
    )
    assert.equal(noField.statusCode, 403)
    const right = await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code })
    assert.deepEqual((await tokensOf(testApp, right, client, verifier)).id.amr, [
      'pwd',
      'otp',
      'mfa',
    ])
  })

  it('a repeated request parameter is refused by the flow (error page), the code never checked', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client } = await atSecondStep(testApp)
    const body = `${new URLSearchParams({ ...step.fields, code: codeAt(testApp, secret) })}&client_id=${client.id}`
    const res = await testApp.app.inject({
      method: 'POST',
      url: '/login-mfa',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.csrfCookie },
      payload: body,
    })
    assertErrorPage(res, 'invalid_request')
    // The code was not spent on it.
    const right = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    redirected(right)
  })

  it('a token of another client is refused (back to the login form)', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret } = await atSecondStep(testApp)
    const other = await openLogin(testApp)
    const res = await postStep(
      testApp,
      'login-mfa',
      {
        ...step,
        fields: {
          ...other.form.hidden,
          csrf: step.fields.csrf as string,
          mfa_token: step.fields.mfa_token as string,
        },
      },
      form.csrfCookie,
      {
        code: codeAt(testApp, secret),
      },
    )
    assert.ok(stepPage(res, 400).page.input('password'))
    assert.equal(sessionCookie(res), undefined)
  })
})

describe('existing sessions and re-authentication', () => {
  it('prompt=login asks for both factors again, and the new session has the new auth_time', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client } = await atSecondStep(testApp)
    const first = await postStep(testApp, 'login-mfa', step, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const cookie = sessionCookie(first) as string
    testApp.clock.advance(STEP_MS * 4)
    const query = authorizeQuery(client, 'c'.repeat(43), { prompt: 'login' })
    const again = await openForm(testApp, `/login?${new URLSearchParams(query)}`, cookie)
    const step2 = stepPage(await submitPassword(testApp, again, 'alice'))
    assert.ok(step2.page.byId('code'))
    const done = await postStep(testApp, 'login-mfa', step2, again.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    redirected(done)
    assert.notEqual(sessionCookie(done), cookie)
  })
})

describe('max_age', () => {
  it('an aged session asks for both factors again; auth_time is the new password time', async (t) => {
    const testApp = await buildTestApp(t)
    const { step, form, secret, client } = await atSecondStep(testApp)
    const code = codeAt(testApp, secret)
    const cookie = sessionCookie(
      await postStep(testApp, 'login-mfa', step, form.csrfCookie, { code }),
    ) as string
    testApp.clock.advance(120_000)
    const { verifier, challenge } = pkce()
    const query = authorizeQuery(client, challenge, { max_age: '60', scope: 'openid' })
    const again = await openForm(testApp, `/login?${new URLSearchParams(query)}`, cookie)
    const passwordAt = testApp.clock.now()
    const step2 = stepPage(await submitPassword(testApp, again, 'alice'))
    const done = await postStep(testApp, 'login-mfa', step2, again.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const { id } = await tokensOf(testApp, done, client, verifier)
    assert.equal(id.auth_time, Math.floor(passwordAt / 1000))
    assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa'])
  })
})

describe('enrollment at sign-in (PORTCULLIS_MFA_REQUIRED_ROLES)', () => {
  const env = { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' }

  async function adminWithoutFactor(testApp: TestApp) {
    const user = await registerUser(testApp.app, 'root')
    await testApp.services.store.users.setRoles(
      user.id,
      ['user', 'admin'],
      new Date().toISOString(),
    )
    return user
  }

  it('walks through: QR code as inline SVG, the secret, a code; ten recovery codes once; Continue → amr pwd otp mfa', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const user = await adminWithoutFactor(testApp)
    const { form, client, verifier, query } = await openLogin(testApp)
    const res = await submitPassword(testApp, form, 'root')
    const enroll = stepPage(res)
    assertPageHeaders(res, ORIGIN)
    assert.equal(sessionCookie(res), undefined)
    const { page } = enroll
    assert.ok(page.one((e) => e.name === 'svg'))
    assert.equal(page.all((e) => e.name === 'script').length, 0)
    const secret = page.text(page.byId('totp-secret'))
    assert.match(secret, /^[A-Z2-7]+=*$/)
    assert.equal(attr(page.byId('code'), 'autocomplete'), 'one-time-code')
    assert.equal(
      attr(
        page.one((e) => e.name === 'form'),
        'action',
      ),
      'login-mfa-enroll',
    )
    const wrong = await postStep(testApp, 'login-mfa-enroll', enroll, form.csrfCookie, {
      code: '000000',
    })
    const again = stepPage(wrong, 400)
    assert.equal(sessionCookie(wrong), undefined)
    const confirmed = await postStep(testApp, 'login-mfa-enroll', again, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const codesPage = stepPage(confirmed)
    const cookie = sessionCookie(confirmed)
    assert.ok(cookie)
    const codes = codesPage.page.all((e) => e.name === 'code')
    assert.equal(codes.length, 10)
    assert.equal(await testApp.services.store.recoveryCodes.remaining(user.id), 10)
    for (const [name, value] of Object.entries(query)) assert.equal(codesPage.fields[name], value)
    const cont = await postStep(testApp, 'login-mfa-continue', codesPage, form.csrfCookie, {}, [
      cookie as string,
    ])
    const { id } = await tokensOf(testApp, cont, client, verifier)
    assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(await testApp.services.mfa.hasFactor(user.id), true)
  })

  it('Continue without the new session (another cookie, or none) does not skip the login', async (t) => {
    const testApp = await buildTestApp(t, { env })
    await adminWithoutFactor(testApp)
    const { form } = await openLogin(testApp, { prompt: 'login' })
    const enroll = stepPage(await submitPassword(testApp, form, 'root'))
    const secret = enroll.page.text(enroll.page.byId('totp-secret'))
    const confirmed = await postStep(testApp, 'login-mfa-enroll', enroll, form.csrfCookie, {
      code: codeAt(testApp, secret),
    })
    const codesPage = stepPage(confirmed)
    const cont = await postStep(testApp, 'login-mfa-continue', codesPage, form.csrfCookie)
    assert.ok(stepPage(cont).page.input('password'))
  })

  it('a user who has a factor can never enroll another with a password alone', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { step, form } = await atSecondStep(testApp)
    // The second step's token, posted to the enrollment: no new secret, no sign-in.
    const res = await postStep(testApp, 'login-mfa-enroll', step, form.csrfCookie, {
      code: '123456',
    })
    assert.equal(sessionCookie(res), undefined)
    assert.equal(res.statusCode, 400)
    const factors = await testApp.services.store.mfaFactors.listForUser(
      (await testApp.services.store.users.findByUsername('alice'))?.id as string,
    )
    assert.equal(factors.length, 1)
  })

  it('a user without a required role and without a factor signs in with the password alone', async (t) => {
    const testApp = await buildTestApp(t, { env })
    await registerUser(testApp.app, 'bob')
    const { form, client, verifier } = await openLogin(testApp)
    const res = await submitPassword(testApp, form, 'bob')
    const { id } = await tokensOf(testApp, res, client, verifier)
    assert.deepEqual(id.amr, ['pwd'])
  })
})
