import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { postLogoutLocation } from '../../src/auth/rp-logout.js'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, type TestApp } from '../helpers.js'
import { attr, parsePage } from '../support/html-page.js'
import { browserSession, codeClient } from './authorize-support.js'

const AFTER = 'https://app.example/signed-out'
const PATH = '/session/end'

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const test = await buildTestApp(t)
  const client = await codeClient(test, { postLogoutRedirectUris: [AFTER] })
  const login = await browserSession(test)
  const idToken = await test.services.idTokens.issue({
    userId: login.userId,
    clientId: client.id,
    nonce: null,
    authTime: login.session.authTime,
    amr: ['pwd'],
    sid: login.session.id,
    accessToken: 'x',
  })
  return { test, client, login, idToken }
}

const endSession = (test: TestApp, query: Record<string, string>, cookie?: string) =>
  test.app.inject({
    method: 'GET',
    url: `${PATH}?${new URLSearchParams(query)}`,
    headers: cookie === undefined ? {} : { cookie },
  })

/** The confirmation page's form fields and the CSRF cookie it set. */
function confirmation(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.headers.location, undefined)
  const page = parsePage(res.body)
  const action = attr(
    page.one((e) => e.name === 'form'),
    'action',
  )
  assert.equal(new URL(action ?? '', `http://x${PATH}`).pathname, `${PATH}/confirm`)
  const fields: Record<string, string> = {}
  for (const input of page.all((e) => e.name === 'input' && attr(e, 'type') === 'hidden')) {
    fields[attr(input, 'name') ?? ''] = attr(input, 'value') ?? ''
  }
  const csrfCookie = String(res.headers['set-cookie']).split(';')[0] as string
  return { form: { fields }, csrfCookie }
}

function confirm(
  test: TestApp,
  fields: Record<string, string>,
  cookies: string[],
): Promise<LightMyRequestResponse> {
  return test.app.inject({
    method: 'POST',
    url: `${PATH}/confirm`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookies.join('; '),
    },
    payload: new URLSearchParams(fields).toString(),
  })
}

/** The 400 error page: never a redirect, nothing ended. */
function assertRefused(res: LightMyRequestResponse, why: RegExp) {
  assert.equal(res.statusCode, 400, res.body)
  assert.equal(res.headers.location, undefined)
  assert.match(String(res.headers['content-type']), /^text\/html/)
  assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/)
  assert.match(res.body, why)
}

async function isLive(test: TestApp, id: string) {
  return (await test.services.store.browserSessions.findById(id))?.endedAt === null
}

describe('RP-initiated logout (end_session_endpoint)', () => {
  it('GET shows a confirmation and ends nothing; the confirmed POST ends the session and redirects with state', async (t) => {
    const { test, client, login, idToken } = await setup(t)
    const { session: tokenSession } = await test.services.sessions.start(
      login.userId,
      client.id,
      'openid',
      { ip: null, userAgent: null },
      { refreshToken: true, browserSessionId: login.session.id },
    )
    const res = await endSession(
      test,
      { id_token_hint: idToken, post_logout_redirect_uri: AFTER, state: 'st 8/=' },
      login.cookie,
    )
    const { form, csrfCookie } = confirmation(res)
    assert.match(res.body, /Sign out of Portcullis\?/)
    assert.match(
      String(res.headers['content-security-policy']),
      /form-action 'self' https:\/\/app\.example;/,
    )
    assert.equal(await isLive(test, login.session.id), true)
    assert.equal(form.fields.id_token_hint, undefined)
    const done = await confirm(test, form.fields, [login.cookie, csrfCookie])
    assert.equal(done.statusCode, 303, done.body)
    assert.equal(done.headers.location, `${AFTER}?state=st+8%2F%3D`)
    assert.equal(new URL(String(done.headers.location)).searchParams.get('state'), 'st 8/=')
    assert.match(String(done.headers['set-cookie']), /^portcullis-session=; .*Max-Age=0/)
    assert.equal(await isLive(test, login.session.id), false)
    const ended = await test.services.store.sessions.findById(tokenSession.id)
    assert.notEqual(ended?.revokedAt, null)
    const [record] = await test.services.audit.list({ type: 'logout', limit: 10 })
    assert.equal(record?.userId, login.userId)
    assert.deepEqual(JSON.parse(record?.detail ?? 'null'), {
      browser_session_id: login.session.id,
      client_id: client.id,
    })
  })

  it('POST to the endpoint works as GET (§2), and client_id alone may name the client', async (t) => {
    const { test, client, login } = await setup(t)
    const res = await test.app.inject({
      method: 'POST',
      url: PATH,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: login.cookie },
      payload: new URLSearchParams({
        client_id: client.id,
        post_logout_redirect_uri: AFTER,
      }).toString(),
    })
    const { form, csrfCookie } = confirmation(res)
    assert.match(res.body, /Web app/)
    const done = await confirm(test, form.fields, [login.cookie, csrfCookie])
    assert.equal(done.headers.location, AFTER)
  })

  it('without a redirect URI shows the signed-out page', async (t) => {
    const { test, login } = await setup(t)
    const { form, csrfCookie } = confirmation(await endSession(test, {}, login.cookie))
    const done = await confirm(test, form.fields, [login.cookie, csrfCookie])
    assert.equal(done.statusCode, 200)
    assert.equal(done.headers.location, undefined)
    assert.match(done.body, /You are signed out/)
    assert.equal(await isLive(test, login.session.id), false)
  })

  for (const [label, uri] of [
    ['not registered', 'https://evil.example/'],
    ['registered plus a path', `${AFTER}/more`],
    ['registered plus a query', `${AFTER}?next=https://evil.example`],
    ['registered plus a fragment', `${AFTER}#x`],
    ['another port', 'https://app.example:8443/signed-out'],
  ]) {
    it(`refuses a post_logout_redirect_uri ${label} with an error page (no open redirect)`, async (t) => {
      const { test, idToken, login } = await setup(t)
      const query = { id_token_hint: idToken, post_logout_redirect_uri: uri as string, state: 's' }
      assertRefused(await endSession(test, query, login.cookie), /not registered for this client/)
    })
  }

  it('refuses a forged confirmation form with an unregistered URI, even with a valid CSRF pair', async (t) => {
    const { test, client, login } = await setup(t)
    const { form, csrfCookie } = confirmation(await endSession(test, {}, login.cookie))
    const forged = {
      ...form.fields,
      client_id: client.id,
      post_logout_redirect_uri: 'https://evil.example/',
    }
    assertRefused(await confirm(test, forged, [login.cookie, csrfCookie]), /not registered/)
    assert.equal(await isLive(test, login.session.id), true)
  })

  it('refuses a redirect URI with no client to check it against', async (t) => {
    const { test } = await setup(t)
    assertRefused(
      await endSession(test, { post_logout_redirect_uri: AFTER }),
      /needs the client_id/,
    )
  })

  it("refuses a client_id that is not the hint's audience, and an unknown client", async (t) => {
    const { test, idToken } = await setup(t)
    const other = await codeClient(test, { postLogoutRedirectUris: [AFTER] })
    assertRefused(
      await endSession(test, { id_token_hint: idToken, client_id: other.id }),
      /not the client the id_token_hint was issued to/,
    )
    assertRefused(await endSession(test, { client_id: 'nobody' }), /not registered/)
  })

  it('refuses a hint this server did not sign, and accepts an expired one', async (t) => {
    const { test, idToken, client } = await setup(t)
    const [h, p] = idToken.split('.')
    assertRefused(
      await endSession(test, { id_token_hint: `${h}.${p}.${'A'.repeat(86)}` }),
      /not an ID token this server issued/,
    )
    test.clock.advance(7 * 86400_000)
    const res = await endSession(test, { id_token_hint: idToken, post_logout_redirect_uri: AFTER })
    assert.equal(confirmation(res).form.fields.client_id, (client as ClientRecord).id)
  })

  it('refuses the confirmation without the CSRF cookie: nothing ends', async (t) => {
    const { test, login } = await setup(t)
    const { form } = confirmation(await endSession(test, {}, login.cookie))
    const res = await confirm(test, form.fields, [login.cookie])
    assert.equal(res.statusCode, 403)
    assert.equal(await isLive(test, login.session.id), true)
  })

  it('is rate limited per IP (PORTCULLIS_REQUEST_LIMIT): 429 with Retry-After', async (t) => {
    const test = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_REQUEST_LIMIT: '2' },
    })
    for (let i = 0; i < 2; i++) assert.equal((await endSession(test, {})).statusCode, 200)
    const limited = await endSession(test, {})
    assert.equal(limited.statusCode, 429)
    assert.ok(Number(limited.headers['retry-after']) > 0)
  })

  it('is never framed and never cached', async (t) => {
    const { test } = await setup(t)
    const res = await endSession(test, {})
    assert.equal(res.headers['x-frame-options'], 'DENY')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/)
  })
})

describe('postLogoutLocation', () => {
  it('adds state to a registered URI, keeping its query', () => {
    assert.equal(
      postLogoutLocation('https://a.example/x?y=1', 'z'),
      'https://a.example/x?y=1&state=z',
    )
    assert.equal(postLogoutLocation('https://a.example/x', null), 'https://a.example/x')
  })
})
