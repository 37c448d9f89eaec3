/**
 * The consent page over HTTP on the real flow and store: it needs a browser session, shows the
 * client and a plain line per scope, checks the CSRF value before anything else, and Allow
 * (remembered) or Deny ends in a redirect to the client.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, type TestApp } from '../helpers.js'
import { attr } from '../support/html-page.js'
import {
  assertErrorRedirect,
  authorizeQuery,
  browserSession,
  codeClient,
  exchange,
  getAuthorize,
  pkce,
  redirected,
} from './authorize-support.js'
import { assertPageHeaders, openForm, postForm, redirectedTo } from './login-support.js'

const ORIGIN = 'https://app.example'

/** A third-party client, a signed-in `alice`, and the consent page of a request for a code. */
async function consentPage(testApp: TestApp) {
  const client = await codeClient(testApp, { firstParty: false, name: 'Photo Printer' })
  const { cookie } = await browserSession(testApp, 'alice')
  const query = authorizeQuery(client, pkce().challenge, { scope: 'openid profile email' })
  const form = await openForm(testApp, `/consent?${new URLSearchParams(query)}`, cookie)
  const decide = (decision: string, fields: Record<string, string> = {}) =>
    postForm(testApp, '/consent', { ...form.hidden, csrf: form.csrf, decision, ...fields }, [
      form.csrfCookie,
      cookie,
    ])
  return { client, cookie, query, form, decide }
}

describe('GET /consent', () => {
  it('sends a browser without a session to the login page with the same request', async (t) => {
    const testApp = await buildTestApp(t)
    const client = await codeClient(testApp, { firstParty: false })
    const query = authorizeQuery(client, pkce().challenge)
    const res = await testApp.app.inject(`/consent?${new URLSearchParams(query)}`)
    assert.deepEqual(redirectedTo(res, 'login'), query)
  })

  it('shows the client, the account, a line per scope, and Allow and Deny', async (t) => {
    const testApp = await buildTestApp(t)
    const { query, form } = await consentPage(testApp)
    assertPageHeaders(form.res, ORIGIN)
    const { page } = form
    const text = page.text()
    assert.ok(text.includes('Photo Printer'), text)
    assert.ok(text.includes('alice'), text)
    assert.deepEqual(
      page.all((e) => e.name === 'li').map((e) => page.text(e)),
      [
        'Know who you are (your account identifier)',
        'See your username and name',
        'See your email address and whether it is confirmed',
      ],
    )
    const buttons = page.all((e) => e.name === 'button')
    assert.deepEqual(
      buttons.map((b) => [attr(b, 'name'), attr(b, 'value'), page.text(b)]),
      [
        ['decision', 'allow', 'Allow'],
        ['decision', 'deny', 'Deny'],
      ],
    )
    assert.deepEqual(form.hidden, query)
  })
})

describe('GET /consent without a scope parameter', () => {
  it('lists the default scopes the code will carry, exactly those of the token (never "no particular access")', async (t) => {
    const testApp = await buildTestApp(t)
    const client = await codeClient(testApp, {
      firstParty: false,
      scopes: ['profile', 'email', 'sessions'],
    })
    const { cookie } = await browserSession(testApp, 'alice')
    const { challenge, verifier } = pkce()
    const query = authorizeQuery(client, challenge)
    const form = await openForm(testApp, `/consent?${new URLSearchParams(query)}`, cookie)
    const listed = form.page.all((e) => e.name === 'li').map((e) => form.page.text(e))
    assert.deepEqual(listed, [
      'See your username and name',
      'See and end your signed-in sessions',
      'See your email address and whether it is confirmed',
    ])
    const res = await postForm(
      testApp,
      '/consent',
      { ...form.hidden, csrf: form.csrf, decision: 'allow' },
      [form.csrfCookie, cookie],
    )
    const code = redirected(res).params.get('code') as string
    const token = await exchange(testApp, client, code, verifier)
    assert.equal(token.statusCode, 200, token.body)
    assert.deepEqual(token.json().scope.split(' '), ['profile', 'sessions', 'email'])
  })
})

describe('POST /consent', () => {
  it('Allow: a code for the client, and the consent is remembered', async (t) => {
    const testApp = await buildTestApp(t)
    const { client, cookie, decide } = await consentPage(testApp)
    const res = await decide('allow')
    const { params } = redirected(res)
    assert.ok(params.get('code'))
    assert.equal(params.get('state'), 'xyz')
    const again = authorizeQuery(client, pkce().challenge, { scope: 'openid profile email' })
    assert.ok(redirected(await getAuthorize(testApp, again, cookie)).params.get('code'))
  })

  it('Deny: access_denied to the client, nothing remembered', async (t) => {
    const testApp = await buildTestApp(t)
    const { client, cookie, query, decide } = await consentPage(testApp)
    assertErrorRedirect(await decide('deny'), 'access_denied')
    const again = await getAuthorize(testApp, query, cookie)
    assert.deepEqual(redirectedTo(again, 'consent'), query)
    assert.equal(client.firstParty, false)
  })

  it('refuses a form without the CSRF cookie or with another value: 403, nothing remembered', async (t) => {
    const testApp = await buildTestApp(t)
    const { cookie, query, form } = await consentPage(testApp)
    const fields = { ...form.hidden, decision: 'allow' }
    for (const [name, body, cookies] of [
      ['no csrf cookie', { ...fields, csrf: form.csrf }, [cookie]],
      ['no field', fields, [form.csrfCookie, cookie]],
      ['another value', { ...fields, csrf: 'B'.repeat(43) }, [form.csrfCookie, cookie]],
    ] as const) {
      const res = await postForm(testApp, '/consent', body, cookies)
      assert.equal(res.statusCode, 403, name)
      assert.equal(res.headers.location, undefined, name)
    }
    assert.deepEqual(redirectedTo(await getAuthorize(testApp, query, cookie), 'consent'), query)
  })

  it('without a browser session goes to the login page; without a decision is a 400 page', async (t) => {
    const testApp = await buildTestApp(t)
    const { query, form, decide } = await consentPage(testApp)
    const noSession = await postForm(
      testApp,
      '/consent',
      { ...form.hidden, csrf: form.csrf, decision: 'allow' },
      [form.csrfCookie],
    )
    assert.deepEqual(redirectedTo(noSession, 'login'), query)
    const undecided = await decide('maybe')
    assert.equal(undecided.statusCode, 400)
    assertPageHeaders(undecided)
  })
})
