import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { buildTestApp, getMe, ISSUER, postToken } from '../helpers.js'
import {
  assertErrorPage,
  authorizeCode,
  authorizeQuery,
  browserSession,
  codeClient,
  exchange,
  getAuthorize,
  pkce,
  REDIRECT,
  redirected,
} from './authorize-support.js'

async function setup(t: TestContext) {
  const testApp = await buildTestApp(t)
  const client = await codeClient(testApp)
  const { cookie } = await browserSession(testApp)
  return { testApp, client, cookie }
}

/** 400 invalid_grant from the token endpoint. */
function assertInvalidGrant(res: Awaited<ReturnType<typeof postToken>>) {
  assert.equal(res.statusCode, 400, res.body)
  assert.equal(res.json().error, 'invalid_grant', res.body)
}

describe('RFC 9700 §4.1, §4.11: redirect URIs compared exactly, never an open redirect', () => {
  it('shows an error page for a registered URI changed in any part', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const { challenge } = pkce()
    for (const redirect_uri of [
      `${REDIRECT}/more`,
      `${REDIRECT}?next=https://evil.example`,
      `${REDIRECT}#frag`,
      'https://app.example:8443/callback',
      'http://app.example/callback',
      `${REDIRECT}/`,
      'https://APP.example/callback',
      'https://app.example.evil.example/callback',
    ]) {
      const res = await getAuthorize(
        testApp,
        authorizeQuery(client, challenge, { redirect_uri }),
        cookie,
      )
      assertErrorPage(res, 'invalid_request')
    }
  })

  it('sends the code to the registered URI exactly, its own query kept', async (t) => {
    const { testApp, cookie } = await setup(t)
    const withQuery = 'https://app.example/cb?tenant=a'
    const client = await codeClient(testApp, { redirectUris: [withQuery] })
    const { challenge, verifier } = pkce()
    const res = await getAuthorize(testApp, authorizeQuery(client, challenge), cookie)
    assert.equal(res.statusCode, 303)
    const location = String(res.headers.location)
    assert.ok(location.startsWith(`${withQuery}&code=`), location)
    const code = new URL(location).searchParams.get('code') as string
    assert.equal((await exchange(testApp, client, code, verifier)).statusCode, 200)
  })
})

describe('RFC 9700 §4.2.4, RFC 6749 §4.1.2: a code is used once', () => {
  it('refuses a second exchange and revokes the tokens of the first', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const { challenge, verifier } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge)
    const first = await exchange(testApp, client, code, verifier)
    assert.equal(first.statusCode, 200, first.body)
    const tokens = first.json() as { access_token: string; refresh_token: string }
    assert.equal((await getMe(testApp.app, `Bearer ${tokens.access_token}`)).statusCode, 200)

    assertInvalidGrant(await exchange(testApp, client, code, verifier))
    assert.equal((await getMe(testApp.app, `Bearer ${tokens.access_token}`)).statusCode, 401)
    const refresh = await postToken(testApp.app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.id,
    })
    assertInvalidGrant(refresh)
    const records = await testApp.services.store.audit.list({
      type: 'authorize.code_reuse',
      limit: 10,
    })
    assert.equal(records.length, 1)
  })

  it('lets exactly one of many concurrent exchanges of one code succeed', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    for (let round = 0; round < 5; round++) {
      const { challenge, verifier } = pkce()
      const code = await authorizeCode(testApp, client, cookie, challenge)
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => exchange(testApp, client, code, verifier)),
      )
      const statuses = answers.map((a) => a.statusCode).sort()
      assert.deepEqual(statuses, [200, ...Array(9).fill(400)], `round ${round}`)
      for (const answer of answers.filter((a) => a.statusCode === 400)) {
        assert.equal(answer.json().error, 'invalid_grant')
      }
    }
  })
})

describe('RFC 9700 §4.5, RFC 7636: a code is bound to its client, redirect URI and verifier', () => {
  it('refuses a code presented by another client, and it still works for its own', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const other = await codeClient(testApp)
    const { challenge, verifier } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge)
    assertInvalidGrant(await exchange(testApp, other, code, verifier))
    assert.equal((await exchange(testApp, client, code, verifier)).statusCode, 200)
  })

  it('refuses a wrong, missing or malformed code_verifier, and the challenge sent as verifier', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const { challenge, verifier } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge)
    assertInvalidGrant(await exchange(testApp, client, code, pkce().verifier))
    assertInvalidGrant(await exchange(testApp, client, code, ''))
    assertInvalidGrant(await exchange(testApp, client, code, 'short'))
    assertInvalidGrant(await exchange(testApp, client, code, challenge))
    assertInvalidGrant(await exchange(testApp, client, code, `${verifier}!`))
    // None of those spent it.
    assert.equal((await exchange(testApp, client, code, verifier)).statusCode, 200)
  })

  it('refuses a redirect_uri that does not repeat the authorization request', async (t) => {
    const { testApp, cookie } = await setup(t)
    const other = 'https://app.example/other'
    const client = await codeClient(testApp, { redirectUris: [REDIRECT, other] })
    const { challenge, verifier } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge)
    assertInvalidGrant(await exchange(testApp, client, code, verifier, { redirect_uri: other }))
    assertInvalidGrant(await exchange(testApp, client, code, verifier, { redirect_uri: '' }))
    assert.equal((await exchange(testApp, client, code, verifier)).statusCode, 200)
  })

  it('refuses an unknown or malformed code', async (t) => {
    const { testApp, client } = await setup(t)
    const { verifier } = pkce()
    assertInvalidGrant(await exchange(testApp, client, pkce().verifier.slice(0, 43), verifier))
    assertInvalidGrant(await exchange(testApp, client, 'not a code', verifier))
    const missing = await exchange(testApp, client, '', verifier)
    assert.equal(missing.statusCode, 400)
    assert.equal(missing.json().error, 'invalid_request')
  })

  it('refuses a code after 60 seconds and takes one at 59', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const early = pkce()
    const late = pkce()
    const lateCode = await authorizeCode(testApp, client, cookie, late.challenge)
    testApp.clock.advance(59_000)
    const earlyCode = await authorizeCode(testApp, client, cookie, early.challenge)
    testApp.clock.advance(2_000)
    assertInvalidGrant(await exchange(testApp, client, lateCode, late.verifier))
    testApp.clock.advance(57_000)
    assert.equal((await exchange(testApp, client, earlyCode, early.verifier)).statusCode, 200)
  })

  it('makes a confidential client authenticate', async (t) => {
    const { testApp, cookie } = await setup(t)
    const secret = 'a-secret-of-the-confidential-client'
    const client = await codeClient(testApp, { secret })
    const { challenge, verifier } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge)
    const bare = await exchange(testApp, client, code, verifier)
    assert.equal(bare.statusCode, 401)
    assert.equal(bare.json().error, 'invalid_client')
    const wrong = await exchange(testApp, client, code, verifier, { client_secret: 'nope' })
    assert.equal(wrong.statusCode, 401)
    const right = await exchange(testApp, client, code, verifier, { client_secret: secret })
    assert.equal(right.statusCode, 200, right.body)
  })
})

describe('RFC 9700 §4.4, §4.7: state echoed exactly and iss on every response (mix-up)', () => {
  it('echoes an odd state exactly with the code, and iss', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const state = 'a b+c&d=e%f/g?h#i é 😀 <x>"\''
    const { challenge } = pkce()
    const res = await getAuthorize(testApp, authorizeQuery(client, challenge, { state }), cookie)
    const { params } = redirected(res)
    assert.equal(params.get('state'), state)
    assert.equal(params.get('iss'), ISSUER)
    assert.match(params.get('code') ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual([...params.keys()].sort(), ['code', 'iss', 'state'])
  })

  it('omits state when none was sent, still with iss', async (t) => {
    const { testApp, client, cookie } = await setup(t)
    const { challenge } = pkce()
    const { state: _, ...query } = authorizeQuery(client, challenge)
    const { params } = redirected(await getAuthorize(testApp, query, cookie))
    assert.deepEqual([...params.keys()].sort(), ['code', 'iss'])
    assert.equal(params.get('iss'), ISSUER)
  })
})
