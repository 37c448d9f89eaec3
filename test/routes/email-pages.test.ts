/**
 * The hosted email pages over HTTP: GET /reset-password and /verify-email render a form under a
 * strict CSP (no inline script or style), with labelled fields and the right autocomplete; the
 * form posts are CSRF-checked (double-submit cookie) and complete the flows through the real
 * services, answering success and failure pages; the token never appears in a page, a header or
 * a log line.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Services } from '../../src/services.js'
import {
  buildTestApp,
  getMe,
  login,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { attr, type HtmlPage, parsePage } from '../support/html-page.js'

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
const NEW_PASSWORD = 'a brand new passphrase for this test'
const FORM = 'application/x-www-form-urlencoded'

/** The CSRF cookie `name=value` a page set, and the value of its hidden field. */
interface FormState {
  res: LightMyRequestResponse
  page: HtmlPage
  cookie: string
  csrf: string
}

async function openPage(app: FastifyInstance, url: string, cookie?: string): Promise<FormState> {
  const res = await app.inject({ url, headers: cookie ? { cookie } : {} })
  assert.equal(res.statusCode, 200, res.body)
  const setCookie = String(res.headers['set-cookie'])
  const page = parsePage(res.body)
  return {
    res,
    page,
    cookie: setCookie.split(';')[0] as string,
    csrf: attr(page.input('csrf'), 'value') as string,
  }
}

function postForm(
  app: FastifyInstance,
  url: string,
  fields: Record<string, string>,
  cookie: string | null,
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': FORM, ...(cookie === null ? {} : { cookie }) },
    payload: new URLSearchParams(fields).toString(),
  })
}

/** The token in the newest queued message of `kind`, read from its link. */
async function tokenFromOutbox(services: Services, kind: string): Promise<string> {
  const now = new Date(services.clock.now()).toISOString()
  const until = new Date(services.clock.now() + 60_000).toISOString()
  const messages = await services.store.outbox.claim(now, 'page-test', until, 100)
  const message = messages.filter((m) => m.kind === kind).at(-1)
  assert.ok(message, `no ${kind} message queued`)
  const match = /#token=([A-Za-z0-9_%-]+)/.exec(message.textBody ?? '')
  assert.ok(match?.[1], message.textBody ?? '')
  return decodeURIComponent(match[1])
}

/** Registers `name` with an address and asks for a reset link; returns its token. */
async function resetToken({ app, services }: TestApp, name = 'alice'): Promise<string> {
  await registerUser(app, name, PASSWORD, { email: `${name}@example.com` })
  const res = await app.inject({
    method: 'POST',
    url: '/password/forgot',
    payload: { email: `${name}@example.com` },
  })
  assert.equal(res.statusCode, 202, res.body)
  await services.recovery.idle()
  return tokenFromOutbox(services, 'reset_password')
}

/** Registers `name` with an address (which sends a verification link); returns its token. */
async function verifyToken({ app, services }: TestApp, name = 'vera'): Promise<string> {
  await registerUser(app, name, PASSWORD, { email: `${name}@example.com` })
  return tokenFromOutbox(services, 'verify_email')
}

function assertPageHeaders(res: LightMyRequestResponse) {
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.equal(res.headers['content-security-policy'], CSP)
  assert.equal(res.headers['x-frame-options'], 'DENY')
  assert.equal(res.headers['referrer-policy'], 'no-referrer')
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
}

/** No script or style the CSP would refuse: every script a file, no style element or attribute, no handler. */
function assertNoInlineCode(page: HtmlPage) {
  const scripts = page.all((e) => e.name === 'script')
  assert.equal(scripts.length, 1)
  for (const script of scripts) {
    assert.match(attr(script, 'src') ?? '', /^assets\/email-link\.js\?v=[0-9a-f]{16}$/)
    assert.equal(page.text(script), '')
  }
  assert.deepEqual(
    page.all((e) => e.name === 'style'),
    [],
  )
  const inline = page.all((e) =>
    Object.keys(e.attribs).some((name) => name === 'style' || name.startsWith('on')),
  )
  assert.deepEqual(
    inline.map((e) => e.name),
    [],
  )
  const links = page.all((e) => e.name === 'link')
  assert.deepEqual(
    links.map((e) => attr(e, 'href')?.replace(/\?v=[0-9a-f]{16}$/, '')),
    ['assets/email-pages.css'],
  )
}

/** The button that submits the page's form. */
const submitButton = (page: HtmlPage) =>
  page.one((e) => e.name === 'button' && attr(e, 'type') === 'submit')

describe('GET /reset-password', () => {
  it('renders a labelled new-password form under a strict CSP, with no inline script', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_PRODUCT_NAME: "Acme & Co's" } })
    const { res, page, cookie, csrf } = await openPage(app, '/reset-password')
    assertPageHeaders(res)
    assertNoInlineCode(page)
    assert.equal(
      attr(
        page.one((e) => e.name === 'html'),
        'lang',
      ),
      'en',
    )
    // The product name, escaped.
    assert.ok(res.body.includes('Acme &amp; Co&#39;s'))
    assert.ok(!res.body.includes("Acme & Co's"))
    assert.equal(
      page.text(page.one((e) => e.name === 'title')),
      "Choose a new password · Acme & Co's",
    )
    assert.equal(page.text(page.one((e) => e.name === 'h1')), 'Choose a new password')

    const field = page.input('new_password')
    assert.equal(attr(field, 'type'), 'password')
    assert.equal(attr(field, 'autocomplete'), 'new-password')
    assert.equal(attr(field, 'minlength'), '15')
    assert.ok('required' in field.attribs)
    const label = page.one((e) => e.name === 'label' && attr(e, 'for') === attr(field, 'id'))
    assert.equal(page.text(label), 'New password')
    assert.match(page.text(page.byId(attr(field, 'aria-describedby') as string)), /15 characters/)
    assert.equal(page.text(submitButton(page)), 'Set new password')

    const form = page.one((e) => e.name === 'form')
    assert.equal(attr(form, 'method'), 'post')
    assert.equal(attr(form, 'action'), 'reset-password')
    // The token field is empty: the script fills it from the fragment.
    assert.equal(attr(page.input('token'), 'value'), '')
    assert.equal(attr(page.input('token'), 'type'), 'hidden')
    assert.match(page.text(page.one((e) => e.name === 'noscript')), /needs JavaScript/)

    assert.match(csrf, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(cookie, `portcullis-csrf=${csrf}`)
    assert.equal(res.headers['set-cookie'], `${cookie}; Path=/; HttpOnly; SameSite=Lax`)
  })

  it('over https the CSRF cookie is __Host- prefixed and Secure', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_ISSUER: 'https://auth.example' } })
    const { res, csrf } = await openPage(app, '/reset-password')
    assert.equal(
      res.headers['set-cookie'],
      `__Host-portcullis-csrf=${csrf}; Path=/; HttpOnly; SameSite=Lax; Secure`,
    )
  })

  it('keeps the CSRF value the browser already holds (two tabs do not refuse each other)', async (t) => {
    const { app } = await buildTestApp(t)
    const first = await openPage(app, '/reset-password')
    const second = await openPage(app, '/verify-email', first.cookie)
    assert.equal(second.csrf, first.csrf)
    const fresh = await openPage(app, '/verify-email', 'portcullis-csrf=short')
    assert.notEqual(fresh.csrf, 'short')
    assert.match(fresh.csrf, /^[A-Za-z0-9_-]{43}$/)
  })

  it('serves its script and stylesheet from this server, versioned by content', async (t) => {
    const { app } = await buildTestApp(t)
    const { page } = await openPage(app, '/reset-password')
    const refs = [
      attr(
        page.one((e) => e.name === 'script'),
        'src',
      ),
      attr(
        page.one((e) => e.name === 'link'),
        'href',
      ),
    ]
    const types = ['text/javascript; charset=utf-8', 'text/css; charset=utf-8']
    for (const [i, ref] of refs.entries()) {
      const res = await app.inject(`/${ref}`)
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['content-type'], types[i])
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
      const version = createHash('sha256').update(res.body).digest('hex').slice(0, 16)
      assert.equal(ref?.split('?v=')[1], version)
    }
    const script = await app.inject(`/${refs[0]}`)
    assert.match(script.body, /history\.replaceState/)
  })
})

describe('GET /verify-email', () => {
  it('renders a Confirm button under the same headers, changing nothing', async (t) => {
    const testApp = await buildTestApp(t)
    const token = await verifyToken(testApp)
    const { res, page } = await openPage(testApp.app, `/verify-email?token=${token}`)
    assertPageHeaders(res)
    assertNoInlineCode(page)
    assert.equal(page.text(submitButton(page)), 'Confirm')
    assert.equal(
      attr(
        page.one((e) => e.name === 'form'),
        'action',
      ),
      'verify-email',
    )
    assert.equal(page.all((e) => e.name === 'input' && attr(e, 'type') !== 'hidden').length, 0)
    // A GET (a mail scanner fetching the link) verified nothing.
    const token2 = await login(testApp.app, 'vera')
    assert.equal((await getMe(testApp.app, `Bearer ${token2}`)).json().email_verified, false)
  })
})

describe('POST /reset-password', () => {
  it('sets the new password with a valid link: a success page without the token', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const token = await resetToken(testApp)
    const { cookie, csrf } = await openPage(app, '/reset-password')
    const res = await postForm(
      app,
      '/reset-password',
      { csrf, token, new_password: NEW_PASSWORD },
      cookie,
    )
    assert.equal(res.statusCode, 200, res.body)
    assertPageHeaders(res)
    const page = parsePage(res.body)
    assert.equal(page.text(page.one((e) => e.name === 'h1')), 'Your password has been changed')
    assert.ok('data-link-done' in page.one((e) => e.name === 'body').attribs)
    assert.ok(!res.body.includes(token))
    assert.ok(!JSON.stringify(res.headers).includes(token))

    assert.equal(
      (await postToken(app, { username: 'alice', password: NEW_PASSWORD })).statusCode,
      200,
    )
    assert.equal((await postToken(app, { username: 'alice', password: PASSWORD })).statusCode, 400)

    // The link is spent: the same form again is the invalid-link page.
    const again = await postForm(
      app,
      '/reset-password',
      { csrf, token, new_password: `${NEW_PASSWORD} again` },
      cookie,
    )
    assert.equal(again.statusCode, 400)
    assertPageHeaders(again)
    const failed = parsePage(again.body)
    assert.match(failed.text(), /This link is invalid or has expired; ask for a new one\./)
    assert.ok('data-link-done' in failed.one((e) => e.name === 'body').attribs)
  })

  it('refuses a weak password with the policy message and the form again, the link still usable', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const token = await resetToken(testApp)
    const { cookie, csrf } = await openPage(app, '/reset-password')
    const res = await postForm(
      app,
      '/reset-password',
      { csrf, token, new_password: 'short' },
      cookie,
    )
    assert.equal(res.statusCode, 400)
    assertPageHeaders(res)
    const page = parsePage(res.body)
    assert.equal(page.text(page.byId('form-error')), 'Password must be at least 15 characters.')
    assert.equal(attr(page.byId('form-error'), 'role'), 'alert')
    const field = page.input('new_password')
    assert.equal(attr(field, 'aria-invalid'), 'true')
    assert.equal(attr(field, 'aria-describedby'), 'form-error password-rule')
    // The form comes back without the token (the script still holds it) and with a CSRF value.
    assert.equal(attr(page.input('token'), 'value'), '')
    assert.ok(!res.body.includes(token))
    const again = attr(page.input('csrf'), 'value') as string
    assert.equal(again, csrf)

    const ok = await postForm(
      app,
      '/reset-password',
      { csrf: again, token, new_password: NEW_PASSWORD },
      cookie,
    )
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(
      (await postToken(app, { username: 'alice', password: NEW_PASSWORD })).statusCode,
      200,
    )
  })

  it('refuses a post without the CSRF cookie, without the field, or with another value (403), consuming nothing', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const token = await resetToken(testApp)
    const { cookie, csrf } = await openPage(app, '/reset-password')
    const other = (await openPage(app, '/reset-password')).csrf
    assert.notEqual(other, csrf)
    const attempts: [Record<string, string>, string | null][] = [
      [{ csrf, token, new_password: NEW_PASSWORD }, null],
      [{ token, new_password: NEW_PASSWORD }, cookie],
      [{ csrf: other, token, new_password: NEW_PASSWORD }, cookie],
      [{ csrf, token, new_password: NEW_PASSWORD }, `portcullis-csrf=${other}`],
      [{ csrf: '', token, new_password: NEW_PASSWORD }, 'portcullis-csrf='],
      // The cookie twice (one planted): ambiguous, refused.
      [{ csrf, token, new_password: NEW_PASSWORD }, `${cookie}; portcullis-csrf=${other}`],
      // The field twice.
      [{ csrf, token, new_password: NEW_PASSWORD }, cookie],
    ]
    for (const [i, [fields, sentCookie]] of attempts.entries()) {
      const payload =
        i === attempts.length - 1
          ? `${new URLSearchParams(fields)}&csrf=${encodeURIComponent(csrf)}`
          : new URLSearchParams(fields).toString()
      const res = await app.inject({
        method: 'POST',
        url: '/reset-password',
        headers: { 'content-type': FORM, ...(sentCookie === null ? {} : { cookie: sentCookie }) },
        payload,
      })
      assert.equal(res.statusCode, 403, `attempt ${i}`)
      assertPageHeaders(res)
      assert.match(parsePage(res.body).text(), /The form was refused/, `attempt ${i}`)
      assert.ok(!res.body.includes(token))
    }
    assert.equal(
      (await postToken(app, { username: 'alice', password: NEW_PASSWORD })).statusCode,
      400,
    )
    const ok = await postForm(
      app,
      '/reset-password',
      { csrf, token, new_password: NEW_PASSWORD },
      cookie,
    )
    assert.equal(ok.statusCode, 200, ok.body)
  })

  it('answers an unknown, missing or overlong token with the invalid-link page (400)', async (t) => {
    const { app } = await buildTestApp(t)
    const { cookie, csrf } = await openPage(app, '/reset-password')
    for (const token of ['not-a-token', '', 'x'.repeat(257)]) {
      const res = await postForm(
        app,
        '/reset-password',
        { csrf, token, new_password: NEW_PASSWORD },
        cookie,
      )
      assert.equal(res.statusCode, 400)
      assertPageHeaders(res)
      assert.match(
        parsePage(res.body).text(),
        /This link is invalid or has expired; ask for a new one\./,
      )
    }
  })

  it('answers a body of another type, and a 429, as pages with the same status', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_REQUEST_LIMIT: '2' },
    })
    const { cookie, csrf } = await openPage(app, '/reset-password')
    const json = await app.inject({
      method: 'POST',
      url: '/reset-password',
      headers: { cookie },
      payload: { csrf, token: 'x', new_password: NEW_PASSWORD },
    })
    assert.equal(json.statusCode, 415)
    assertPageHeaders(json)
    assert.match(parsePage(json.body).text(), /Something went wrong/)
    let last: LightMyRequestResponse | undefined
    for (let i = 0; i < 3; i++) {
      last = await postForm(app, '/reset-password', { csrf, token: 'x', new_password: 'y' }, cookie)
    }
    assert.equal(last?.statusCode, 429)
    assertPageHeaders(last as LightMyRequestResponse)
    assert.match(String(last?.headers['retry-after']), /^\d+$/)
    assert.match(parsePage(last?.body ?? '').text(), /Too many attempts/)
  })

  it('never writes the token or the password to the log', async (t) => {
    let logged = ''
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logged += chunk
        done()
      },
    })
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_LOG_LEVEL: 'debug' }, logStream })
    const token = await resetToken(testApp)
    const { cookie, csrf } = await openPage(testApp.app, '/reset-password')
    for (const password of ['short', NEW_PASSWORD]) {
      await postForm(
        testApp.app,
        '/reset-password',
        { csrf, token, new_password: password },
        cookie,
      )
    }
    assert.match(logged, /reset-password/)
    assert.ok(!logged.includes(token))
    assert.ok(!logged.includes(NEW_PASSWORD))
  })
})

describe('POST /verify-email', () => {
  it('confirms the address with a valid link, and refuses it spent', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const token = await verifyToken(testApp)
    const { cookie, csrf } = await openPage(app, '/verify-email')
    const res = await postForm(app, '/verify-email', { csrf, token }, cookie)
    assert.equal(res.statusCode, 200, res.body)
    assertPageHeaders(res)
    const page = parsePage(res.body)
    assert.equal(page.text(page.one((e) => e.name === 'h1')), 'Your email address is confirmed')
    assert.ok(!res.body.includes(token))
    const access = await login(app, 'vera')
    assert.equal((await getMe(app, `Bearer ${access}`)).json().email_verified, true)

    const again = await postForm(app, '/verify-email', { csrf, token }, cookie)
    assert.equal(again.statusCode, 400)
    assert.match(
      parsePage(again.body).text(),
      /This link is invalid or has expired; ask for a new one\./,
    )
  })

  it('refuses a reset token (wrong type) and a post without CSRF', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const reset = await resetToken(testApp)
    const { cookie, csrf } = await openPage(app, '/verify-email')
    const wrongType = await postForm(app, '/verify-email', { csrf, token: reset }, cookie)
    assert.equal(wrongType.statusCode, 400)
    assert.match(parsePage(wrongType.body).text(), /invalid or has expired/)
    const noCsrf = await postForm(app, '/verify-email', { token: reset }, cookie)
    assert.equal(noCsrf.statusCode, 403)
    // The reset token was not spent by either.
    const ok = await postForm(
      app,
      '/reset-password',
      { csrf, token: reset, new_password: NEW_PASSWORD },
      cookie,
    )
    assert.equal(ok.statusCode, 200, ok.body)
  })
})

describe('the hosted pages', () => {
  it('are absent while the email flows are off, and absent from the OpenAPI document', async (t) => {
    const off = await buildTestApp(t, { env: { PORTCULLIS_EMAIL_FLOWS: 'false' } })
    for (const url of ['/reset-password', '/verify-email', '/assets/email-link.js']) {
      assert.equal((await off.app.inject(url)).statusCode, 404, url)
    }
    const { app } = await buildTestApp(t)
    const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> }
    const pagePaths = Object.keys(doc.paths).filter((p) =>
      /reset-password|verify-email|assets/.test(p),
    )
    assert.deepEqual(pagePaths, [])
  })
})
