/**
 * GET and POST /forgot-password over HTTP on the real services: the form the login page links
 * to. CSRF-checked; an accepted address gets one answer whether or not an account has it (and a
 * link only goes to a real account); a malformed address comes back to the form; the limits of
 * POST /password/forgot apply; without the email flows the page does not exist.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, registerUser } from '../helpers.js'
import { assertPageHeaders, openForm, postForm } from './login-support.js'
import { messages } from './password-support.js'

describe('GET/POST /forgot-password (hosted)', () => {
  it('renders a labelled email field with autocomplete=email under the strict page headers', async (t) => {
    const testApp = await buildTestApp(t)
    const { res, page } = await openForm(testApp, '/forgot-password')
    assertPageHeaders(res)
    const email = page.input('email')
    assert.equal(email.attribs.type, 'email')
    assert.equal(email.attribs.autocomplete, 'email')
    assert.ok(page.one((e) => e.name === 'label' && e.attribs.for === 'email'))
    assert.equal(page.all((e) => e.name === 'script').length, 0)
  })

  it('answers a known and an unknown address with the same page, and mails only the account', async (t) => {
    const testApp = await buildTestApp(t)
    await registerUser(testApp.app, 'alice', undefined, { email: 'alice@example.com' })
    const bodies: string[] = []
    for (const email of ['alice@example.com', 'nobody@example.com']) {
      const form = await openForm(testApp, '/forgot-password')
      const res = await postForm(testApp, '/forgot-password', { csrf: form.csrf, email }, [
        form.csrfCookie,
      ])
      assert.equal(res.statusCode, 200, res.body)
      assertPageHeaders(res)
      bodies.push(res.body)
    }
    assert.equal(bodies[0], bodies[1])
    assert.ok(bodies[0]?.includes('Check your email'))
    const { services } = testApp
    assert.equal((await messages(services, 'reset_password', 'alice@example.com')).length, 1)
    assert.equal((await messages(services, 'reset_password', 'nobody@example.com')).length, 0)
  })

  it('refuses a post without the page cookie (403) and sends nothing', async (t) => {
    const testApp = await buildTestApp(t)
    await registerUser(testApp.app, 'alice', undefined, { email: 'alice@example.com' })
    const form = await openForm(testApp, '/forgot-password')
    const res = await postForm(
      testApp,
      '/forgot-password',
      { csrf: form.csrf, email: 'alice@example.com' },
      [],
    )
    assert.equal(res.statusCode, 403)
    assert.equal(
      (await messages(testApp.services, 'reset_password', 'alice@example.com')).length,
      0,
    )
  })

  it('gives the form back with a message for an address that cannot be one', async (t) => {
    const testApp = await buildTestApp(t)
    const form = await openForm(testApp, '/forgot-password')
    const res = await postForm(
      testApp,
      '/forgot-password',
      { csrf: form.csrf, email: 'not-an-address' },
      [form.csrfCookie],
    )
    assert.equal(res.statusCode, 400)
    assert.ok(res.body.includes('Enter a valid email address.'))
    assert.ok(res.body.includes('value="not-an-address"'))
  })

  it('applies the per-address limit of POST /password/forgot: a 429 page with Retry-After', async (t) => {
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_MAIL_ADDRESS_LIMIT: '1' },
    })
    const statuses: number[] = []
    for (let i = 0; i < 2; i++) {
      const form = await openForm(testApp, '/forgot-password')
      const res = await postForm(
        testApp,
        '/forgot-password',
        { csrf: form.csrf, email: 'someone@example.com' },
        [form.csrfCookie],
      )
      statuses.push(res.statusCode)
      if (res.statusCode === 429) {
        assert.ok(Number(res.headers['retry-after']) > 0)
        assert.match(String(res.headers['content-type']), /^text\/html/)
      }
    }
    assert.deepEqual(statuses, [200, 429])
  })

  it('does not exist without the email flows', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_EMAIL_FLOWS: 'false' } })
    const res = await testApp.app.inject({ url: '/forgot-password' })
    assert.equal(res.statusCode, 404)
  })
})
