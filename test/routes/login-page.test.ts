/**
 * The hosted login page over HTTP on the real flow and store: GET /login shows the form only
 * when a login is due, POST /login checks the CSRF value before anything else, refuses with one
 * message, is throttled exactly as the password grant (same counters), and on success sets the
 * browser-session cookie and sends the browser on (to the client with a code, or to consent).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  adminLogin,
  buildTestApp,
  ISSUER,
  login,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { attr, parsePage } from '../support/html-page.js'
import {
  assertErrorPage,
  authorizeQuery,
  codeClient,
  exchange,
  getAuthorize,
  pkce,
  redirected,
} from './authorize-support.js'
import {
  assertPageHeaders,
  openForm,
  postForm,
  redirectedTo,
  setCookieLine,
  setCookies,
} from './login-support.js'

const ORIGIN = 'https://app.example'

/** A client, a user `alice`, and the login page of a request for a code. */
async function loginPage(testApp: TestApp, clientFields = {}) {
  const client = await codeClient(testApp, clientFields)
  await registerUser(testApp.app, 'alice')
  const { verifier, challenge } = pkce()
  const query = authorizeQuery(client, challenge, { scope: 'profile' })
  const form = await openForm(testApp, `/login?${new URLSearchParams(query)}`)
  return { client, verifier, query, form }
}

/** POSTs the login form with these credentials and the page's CSRF cookie and field. */
function submit(
  testApp: TestApp,
  form: Awaited<ReturnType<typeof loginPage>>['form'],
  username: string,
  password: string,
  remoteAddress?: string,
) {
  return postForm(
    testApp,
    '/login',
    { ...form.hidden, csrf: form.csrf, username, password },
    [form.csrfCookie],
    remoteAddress,
  )
}

describe('GET /login', () => {
  it('shows the form: labelled fields with their autocomplete, the request, CSRF, names', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_PRODUCT_NAME: 'Acme ID' } })
    const { query, form } = await loginPage(testApp, { name: 'Notes & Co' })
    assertPageHeaders(form.res, ORIGIN)
    const { page } = form
    const username = page.input('username')
    assert.equal(attr(username, 'autocomplete'), 'username')
    assert.equal(
      page.text(page.one((e) => e.name === 'label' && attr(e, 'for') === attr(username, 'id'))),
      'Username or email',
    )
    const password = page.input('password')
    assert.equal(attr(password, 'type'), 'password')
    assert.equal(attr(password, 'autocomplete'), 'current-password')
    assert.equal(
      page.text(page.one((e) => e.name === 'label' && attr(e, 'for') === attr(password, 'id'))),
      'Password',
    )
    assert.deepEqual(form.hidden, query)
    assert.match(form.csrf, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(form.csrfCookie, `portcullis-csrf=${form.csrf}`)
    const text = page.text()
    assert.ok(text.includes('Acme ID'), text)
    assert.ok(text.includes('Notes & Co'), text)
    const form0 = page.one((e) => e.name === 'form')
    assert.equal(attr(form0, 'method'), 'post')
    assert.equal(attr(form0, 'action'), 'login')
    assert.equal(
      attr(
        page.one((e) => e.name === 'a' && page.text(e) === 'Forgot your password?'),
        'href',
      ),
      'forgot-password',
    )
    assert.ok(page.byId('login-second-factor'))
    // One script, the passkey form's, from this server (no inline script).
    const scripts = page.all((e) => e.name === 'script').map((e) => attr(e, 'src'))
    assert.deepEqual(
      scripts.map((src) => src?.split('?')[0]),
      ['assets/passkey.js'],
    )
  })

  it('has no reset link while the email flows are off', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_EMAIL_FLOWS: 'false' } })
    const { form } = await loginPage(testApp)
    assert.equal(form.page.all((e) => e.name === 'a').length, 0)
    // The stylesheet is served all the same.
    const css = await testApp.app.inject('/assets/email-pages.css')
    assert.equal(css.statusCode, 200)
  })

  it('fills the username from login_hint', async (t) => {
    const testApp = await buildTestApp(t)
    const client = await codeClient(testApp)
    const query = authorizeQuery(client, pkce().challenge, { login_hint: 'alice@example.com' })
    const { page } = await openForm(testApp, `/login?${new URLSearchParams(query)}`)
    assert.equal(attr(page.input('username'), 'value'), 'alice@example.com')
  })

  it('shows the error page for an unknown client, never redirecting', async (t) => {
    const testApp = await buildTestApp(t)
    const client = await codeClient(testApp)
    const query = { ...authorizeQuery(client, pkce().challenge), client_id: 'nobody' }
    const res = await testApp.app.inject(`/login?${new URLSearchParams(query)}`)
    assertErrorPage(res, 'invalid_client')
  })

  it('sends a browser already signed in on to the client', async (t) => {
    const testApp = await buildTestApp(t)
    const { form } = await loginPage(testApp)
    const signedIn = await submit(testApp, form, 'alice', PASSWORD)
    const cookie = setCookieLine(signedIn, 'portcullis-session')?.split(';')[0] as string
    const again = await testApp.app.inject({
      url: `/login?${new URLSearchParams(form.hidden)}`,
      headers: { cookie },
    })
    assert.ok(redirected(again).params.get('code'))
  })
})

describe('POST /login', () => {
  it('signs in: sets the session cookie, redirects with a code that the client exchanges', async (t) => {
    const testApp = await buildTestApp(t)
    const { client, verifier, form } = await loginPage(testApp)
    const res = await submit(testApp, form, 'alice', PASSWORD)
    const { params } = redirected(res)
    assert.equal(params.get('state'), 'xyz')
    assert.equal(params.get('iss'), ISSUER)
    const line = setCookieLine(res, 'portcullis-session')
    assert.match(
      line ?? '',
      /^portcullis-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
    )
    const token = await exchange(testApp, client, params.get('code') as string, verifier)
    assert.equal(token.statusCode, 200, token.body)
    // Single sign-on: the next request with the cookie gets a code without the login page.
    const cookie = (line as string).split(';')[0] as string
    const sso = await getAuthorize(testApp, authorizeQuery(client, pkce().challenge), cookie)
    assert.ok(redirected(sso).params.get('code'))
    // Signing in at the page is audited as at /token.
    const audit = await testApp.services.audit.list({ type: 'login.success', limit: 10 })
    assert.equal(audit.length, 1)
    assert.equal(audit[0]?.clientId, client.id)
  })

  it('over https the session cookie is __Host- prefixed and Secure', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_ISSUER: 'https://auth.example' } })
    const client = await codeClient(testApp)
    await registerUser(testApp.app, 'alice')
    const query = authorizeQuery(client, pkce().challenge)
    const form = await openForm(
      testApp,
      `/login?${new URLSearchParams(query)}`,
      undefined,
      '__Host-portcullis-csrf',
    )
    const res = await submit(testApp, form, 'alice', PASSWORD)
    redirected(res)
    assert.match(
      setCookieLine(res, '__Host-portcullis-session') ?? '',
      /^__Host-portcullis-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
    )
  })

  it('refuses a form without the CSRF cookie or with another value: 403, nothing done', async (t) => {
    const testApp = await buildTestApp(t)
    const { form } = await loginPage(testApp)
    const fields = { ...form.hidden, username: 'alice', password: PASSWORD }
    const cases = [
      { name: 'no cookie', fields: { ...fields, csrf: form.csrf }, cookies: [] },
      { name: 'no field', fields, cookies: [form.csrfCookie] },
      {
        name: 'another value',
        fields: { ...fields, csrf: 'A'.repeat(43) },
        cookies: [form.csrfCookie],
      },
    ]
    for (const c of cases) {
      const res = await postForm(testApp, '/login', c.fields, c.cookies)
      assert.equal(res.statusCode, 403, c.name)
      assertPageHeaders(res)
      assert.equal(setCookies(res).has('portcullis-session'), false, c.name)
      assert.ok(res.body.includes('The form was refused'), c.name)
    }
    assert.equal(
      (await testApp.services.audit.list({ type: 'login.success', limit: 10 })).length,
      0,
    )
    assert.equal(
      (await testApp.services.audit.list({ type: 'login.failure', limit: 10 })).length,
      0,
    )
  })

  it('refuses a wrong password and an unknown user with one message, keeping the username', async (t) => {
    const testApp = await buildTestApp(t)
    const { form } = await loginPage(testApp)
    for (const [username, password] of [
      ['alice', 'not the password at all'],
      ['nobody', PASSWORD],
    ] as const) {
      const res = await submit(testApp, form, username, password)
      assert.equal(res.statusCode, 400)
      assertPageHeaders(res, ORIGIN)
      assert.equal(setCookies(res).has('portcullis-session'), false)
      const again = parsePage(res.body)
      assert.equal(again.text(again.byId('form-error')), 'Wrong username or password.')
      assert.equal(attr(again.input('username'), 'value'), username)
      assert.equal(attr(again.input('password'), 'value'), undefined)
      assert.ok(!res.body.includes(password))
    }
  })

  it('is throttled exactly as /token: failures at the page lock /token, and the other way round', async (t) => {
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_LOGIN_DELAY_AFTER: '2' },
    })
    const { form } = await loginPage(testApp)
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await submit(testApp, form, 'alice', 'not the password at all')).statusCode,
        400,
      )
    }
    const locked = await postToken(testApp.app, { username: 'alice', password: PASSWORD })
    assert.equal(locked.statusCode, 429, locked.body)
    assert.equal(locked.headers['retry-after'], '60')

    await registerUser(testApp.app, 'bob')
    for (let i = 0; i < 2; i++) {
      const res = await postToken(testApp.app, { username: 'bob', password: 'not the password' })
      assert.equal(res.statusCode, 400)
    }
    const res = await submit(testApp, form, 'bob', PASSWORD)
    assert.equal(res.statusCode, 429)
    assert.equal(res.headers['retry-after'], '60')
    assertPageHeaders(res)
    assert.ok(res.body.includes('Wait 1 minute'), res.body)
    assert.equal(setCookies(res).has('portcullis-session'), false)
    testApp.clock.advance(60_000)
    redirected(await submit(testApp, form, 'bob', PASSWORD))
  })

  it('remembers the device in a cookie, so hammering the account elsewhere does not lock its owner out of the page (as device_token at /token)', async (t) => {
    const testApp = await buildTestApp(t, {
      env: {
        PORTCULLIS_RATE_LIMITS: 'true',
        PORTCULLIS_LOGIN_SLOW_AFTER: '3',
        PORTCULLIS_LOGIN_DELAY_AFTER: '3',
      },
    })
    const { form } = await loginPage(testApp)
    const first = await submit(testApp, form, 'alice', PASSWORD, '10.0.0.1')
    redirected(first)
    const deviceLine = setCookieLine(first, 'portcullis-device') as string
    assert.match(deviceLine, /; Path=\/login; Max-Age=34560000; HttpOnly; SameSite=Strict$/)
    const device = deviceLine.split(';')[0] as string
    for (let i = 0; i < 4; i++) {
      const res = await postToken(
        testApp.app,
        { username: 'alice', password: 'not the password' },
        {},
        { remoteAddress: `10.9.0.${i + 1}` },
      )
      // Three failures slow the account for devices it has never seen: the fourth is held off.
      assert.equal(res.statusCode, i < 3 ? 400 : 429)
    }
    const fields = { ...form.hidden, csrf: form.csrf, username: 'alice', password: PASSWORD }
    const stranger = await postForm(testApp, '/login', fields, [form.csrfCookie], '10.0.0.2')
    assert.equal(stranger.statusCode, 429, stranger.body)
    redirected(await postForm(testApp, '/login', fields, [form.csrfCookie, device], '10.0.0.1'))
  })

  it('sends a client that is not first-party to the consent page', async (t) => {
    const testApp = await buildTestApp(t)
    const { query, form } = await loginPage(testApp, { firstParty: false })
    const res = await submit(testApp, form, 'alice', PASSWORD)
    assert.deepEqual(redirectedTo(res, 'consent'), query)
    assert.ok(setCookieLine(res, 'portcullis-session'))
  })

  it('a password change through the API and an admin disable end the browser session', async (t) => {
    const testApp = await buildTestApp(t)
    const { client, form } = await loginPage(testApp)
    await registerUser(testApp.app, 'bob')
    const signIn = async (username: string) => {
      const res = await submit(testApp, form, username, PASSWORD)
      redirected(res)
      return (setCookieLine(res, 'portcullis-session') as string).split(';')[0] as string
    }
    const request = () => authorizeQuery(client, pkce().challenge)

    const alice = await signIn('alice')
    const token = await login(testApp.app, 'alice')
    const changed = await testApp.app.inject({
      method: 'PUT',
      url: '/users/me/password',
      headers: { authorization: `Bearer ${token}` },
      payload: { current_password: PASSWORD, new_password: `${PASSWORD} 2` },
    })
    assert.equal(changed.statusCode, 204, changed.body)
    redirectedTo(await getAuthorize(testApp, request(), alice), 'login')

    const bob = await signIn('bob')
    const admin = await adminLogin(testApp)
    const bobId = (await testApp.services.users.findByLogin('bob'))?.id as string
    const disabled = await testApp.app.inject({
      method: 'POST',
      url: `/admin/users/${bobId}/disable`,
      headers: { authorization: `Bearer ${admin.token}` },
    })
    assert.equal(disabled.statusCode, 200, disabled.body)
    redirectedTo(await getAuthorize(testApp, request(), bob), 'login')
  })
})
