import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { buildTestApp } from '../helpers.js'
import {
  assertErrorPage,
  assertErrorRedirect,
  authorizeQuery,
  codeClient,
  getAuthorize,
  pkce,
  REDIRECT,
} from './authorize-support.js'

const API = 'https://api.example/'

async function setup(t: TestContext) {
  const testApp = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: API } })
  const client = await codeClient(testApp)
  const { challenge } = pkce()
  const query = (extra: Record<string, string> = {}) => authorizeQuery(client, challenge, extra)
  return { testApp, client, challenge, query }
}

/** A 303 to the login page carrying these parameters (no browser session). */
function assertLoginRedirect(res: Awaited<ReturnType<typeof getAuthorize>>) {
  assert.equal(res.statusCode, 303, res.body)
  assert.equal(res.headers['cache-control'], 'no-store')
  const location = String(res.headers.location)
  assert.ok(location.startsWith('/login?'), location)
  return new URLSearchParams(location.slice('/login?'.length))
}

describe('GET /authorize: openid in the shared-secret (HS256) mode', () => {
  it('refuses openid with invalid_scope (no client could verify an HS256 ID token) and discovery does not offer it', async (t) => {
    const testApp = await buildTestApp(t, {
      env: {
        PORTCULLIS_JWT_ALG: 'HS256',
        PORTCULLIS_JWT_SECRET: `${'k'.repeat(16)}Q7v!x2#Lm9@pR4$w`,
      },
    })
    const client = await codeClient(testApp)
    const { challenge } = pkce()
    const res = await getAuthorize(
      testApp,
      authorizeQuery(client, challenge, { scope: 'openid profile' }),
    )
    assertErrorRedirect(res, 'invalid_scope')
    const discovery = await testApp.app.inject({ url: '/.well-known/openid-configuration' })
    assert.equal(discovery.statusCode, 200)
    assert.equal(discovery.json().scopes_supported.includes('openid'), false)
    const plain = await getAuthorize(
      testApp,
      authorizeQuery(client, challenge, { scope: 'profile' }),
    )
    assert.equal(plain.statusCode, 303)
    assert.ok(String(plain.headers.location).startsWith('/login?'))
  })
})

describe('GET /authorize: the client and the redirect URI (never redirected when wrong)', () => {
  it('sends a valid request without a browser session to the login page with its parameters', async (t) => {
    const { testApp, client, challenge, query } = await setup(t)
    const params = assertLoginRedirect(
      await getAuthorize(testApp, query({ scope: 'openid profile', nonce: 'n-1' })),
    )
    assert.deepEqual(Object.fromEntries(params), {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'xyz',
      scope: 'openid profile',
      nonce: 'n-1',
    })
  })

  it('shows an error page for a missing, unknown or repeated client_id', async (t) => {
    const { testApp, query } = await setup(t)
    const { client_id: _, ...withoutClient } = query()
    assertErrorPage(await getAuthorize(testApp, withoutClient), 'invalid_request')
    assertErrorPage(await getAuthorize(testApp, query({ client_id: 'nobody' })), 'invalid_client')
    const twice = `${new URLSearchParams(query())}&client_id=${query().client_id}`
    assertErrorPage(await getAuthorize(testApp, twice), 'invalid_request')
  })

  it('accepts an omitted redirect_uri only when exactly one is registered', async (t) => {
    const { testApp, challenge } = await setup(t)
    const one = await codeClient(testApp)
    const { redirect_uri: _, ...omitted } = authorizeQuery(one, challenge)
    assertLoginRedirect(await getAuthorize(testApp, omitted))
    const two = await codeClient(testApp, {
      redirectUris: [REDIRECT, 'https://app.example/other'],
    })
    const { redirect_uri: __, ...omittedOfTwo } = authorizeQuery(two, challenge)
    assertErrorPage(await getAuthorize(testApp, omittedOfTwo), 'invalid_request')
    const second = authorizeQuery(two, challenge, { redirect_uri: 'https://app.example/other' })
    assertLoginRedirect(await getAuthorize(testApp, second))
  })

  it('shows an error page for a repeated redirect_uri, even one registered twice over', async (t) => {
    const { testApp, query } = await setup(t)
    const twice = `${new URLSearchParams(query())}&redirect_uri=${encodeURIComponent(REDIRECT)}`
    assertErrorPage(await getAuthorize(testApp, twice), 'invalid_request')
  })

  it('shows an error page for a redirect URI that is not one registered, and no link to it', async (t) => {
    const { testApp, query } = await setup(t)
    const res = await getAuthorize(testApp, query({ redirect_uri: 'https://evil.example/cb' }))
    assertErrorPage(res, 'invalid_request')
    assert.ok(!res.body.includes('evil.example'), 'the page never shows the given URI')
    assert.ok(!res.body.includes('<a '), 'the page has no link')
  })
})

describe('GET /authorize: every other error goes back to the client with state and iss', () => {
  it('refuses a missing response_type (invalid_request) and any other (unsupported_response_type)', async (t) => {
    const { testApp, query } = await setup(t)
    const { response_type: _, ...missing } = query()
    assertErrorRedirect(await getAuthorize(testApp, missing), 'invalid_request')
    for (const type of ['token', 'id_token', 'code id_token']) {
      const res = await getAuthorize(testApp, query({ response_type: type }))
      assertErrorRedirect(res, 'unsupported_response_type')
    }
  })

  it('requires PKCE with S256: a missing challenge, plain, or a malformed challenge is refused', async (t) => {
    const { testApp, query } = await setup(t)
    const { code_challenge: _, ...noChallenge } = query()
    assertErrorRedirect(await getAuthorize(testApp, noChallenge), 'invalid_request')
    const { code_challenge_method: __, ...noMethod } = query()
    assertErrorRedirect(await getAuthorize(testApp, noMethod), 'invalid_request')
    const plain = query({ code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) })
    assertErrorRedirect(await getAuthorize(testApp, plain), 'invalid_request')
    for (const challenge of ['a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}+`]) {
      const res = await getAuthorize(testApp, query({ code_challenge: challenge }))
      assertErrorRedirect(res, 'invalid_request')
    }
  })

  it('refuses a client without the authorization_code grant (unauthorized_client)', async (t) => {
    const { testApp, challenge } = await setup(t)
    const machine = await codeClient(testApp, { grantTypes: ['password', 'refresh_token'] })
    const res = await getAuthorize(testApp, authorizeQuery(machine, challenge))
    assertErrorRedirect(res, 'unauthorized_client')
  })

  it('takes openid and the scopes the client may have; refuses unknown and disallowed ones', async (t) => {
    const { testApp, challenge, query } = await setup(t)
    assertLoginRedirect(await getAuthorize(testApp, query({ scope: 'openid profile email' })))
    const res = await getAuthorize(testApp, query({ scope: 'openid rocket' }))
    assertErrorRedirect(res, 'invalid_scope')
    const narrow = await codeClient(testApp, { scopes: ['profile'] })
    const disallowed = authorizeQuery(narrow, challenge, { scope: 'openid email' })
    assertErrorRedirect(await getAuthorize(testApp, disallowed), 'invalid_scope')
  })

  it('takes a configured resource, refuses another (invalid_target), and admin with any resource', async (t) => {
    const { testApp, query } = await setup(t)
    assertLoginRedirect(await getAuthorize(testApp, query({ resource: API })))
    const other = await getAuthorize(testApp, query({ resource: 'https://other.example/' }))
    assertErrorRedirect(other, 'invalid_target')
    const admin = await getAuthorize(testApp, query({ resource: API, scope: 'admin' }))
    assertErrorRedirect(admin, 'invalid_scope')
  })

  it('checks prompt: none alone, only none, login and consent', async (t) => {
    const { testApp, query } = await setup(t)
    for (const prompt of ['login', 'consent', 'login consent']) {
      assertLoginRedirect(await getAuthorize(testApp, query({ prompt })))
    }
    for (const prompt of ['none login', 'none consent', 'select_account', 'bogus']) {
      assertErrorRedirect(await getAuthorize(testApp, query({ prompt })), 'invalid_request')
    }
  })

  it('answers prompt=none without a browser session with login_required', async (t) => {
    const { testApp, query } = await setup(t)
    const res = await getAuthorize(testApp, query({ prompt: 'none' }))
    assertErrorRedirect(res, 'login_required')
  })

  it('takes max_age as a non-negative integer only', async (t) => {
    const { testApp, query } = await setup(t)
    assertLoginRedirect(await getAuthorize(testApp, query({ max_age: '0' })))
    assertLoginRedirect(await getAuthorize(testApp, query({ max_age: '3600' })))
    for (const maxAge of ['-1', '1.5', 'soon', '1e3', '9999999999']) {
      const res = await getAuthorize(testApp, query({ max_age: maxAge }))
      assertErrorRedirect(res, 'invalid_request')
    }
  })

  it('refuses request objects and response modes other than query', async (t) => {
    const { testApp, query } = await setup(t)
    const extras: Record<string, string>[] = [
      { request: 'eyJhbGciOiJub25lIn0.e30.' },
      { request_uri: 'urn:ietf:params:oauth:request_uri:x' },
      { response_mode: 'fragment' },
      { response_mode: 'form_post' },
    ]
    for (const extra of extras) {
      assertErrorRedirect(await getAuthorize(testApp, query(extra)), 'invalid_request')
    }
    assertLoginRedirect(await getAuthorize(testApp, query({ response_mode: 'query' })))
  })

  it('refuses any other parameter given twice; a repeated state is not echoed', async (t) => {
    const { testApp, query } = await setup(t)
    // Each value is valid once, so only the repetition can be what is refused.
    const valid: Record<string, string> = {
      scope: 'profile',
      response_type: 'code',
      code_challenge: query().code_challenge as string,
      nonce: 'n',
      prompt: 'login',
    }
    for (const [name, value] of Object.entries(valid)) {
      assertLoginRedirect(await getAuthorize(testApp, query({ [name]: value })))
      const twice = `${new URLSearchParams(query({ [name]: value }))}&${name}=${value}`
      assertErrorRedirect(await getAuthorize(testApp, twice), 'invalid_request')
    }
    const stateTwice = `${new URLSearchParams(query())}&state=other`
    assertErrorRedirect(await getAuthorize(testApp, stateTwice), 'invalid_request', null)
  })

  it('echoes state exactly, odd characters included', async (t) => {
    const { testApp, query } = await setup(t)
    const state = 'a b+c&d=e%f/g?h#i é 😀 <x>'
    const res = await getAuthorize(testApp, query({ state, response_type: 'token' }))
    assertErrorRedirect(res, 'unsupported_response_type', state)
  })
})

describe('POST /authorize (OpenID Connect Core §3.1.2.1)', () => {
  it('takes the same parameters as a form', async (t) => {
    const { testApp, query } = await setup(t)
    const post = (form: Record<string, string>) =>
      testApp.app.inject({
        method: 'POST',
        url: '/authorize',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      })
    assertLoginRedirect(await post(query()))
    assertErrorPage(await post(query({ client_id: 'nobody' })), 'invalid_client')
    assertErrorRedirect(await post(query({ response_type: 'token' })), 'unsupported_response_type')
  })
})
