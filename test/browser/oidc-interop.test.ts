/**
 * Interop with a relying party nobody here wrote: openid-client (panva, a certified RP library)
 * against a real listening Portcullis on loopback. openid-client discovers the provider, builds
 * the authorization URL with PKCE, state and nonce; a headless Chromium opens it and fills the
 * hosted login (and consent) page; a tiny callback server on loopback records where the browser
 * lands; openid-client exchanges the code, validates the ID token, calls /userinfo, refreshes,
 * and builds the RP-initiated logout URL. The server's time is a ManualClock started at the real
 * time, moved only for `max_age`; openid-client's clock skew follows it.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it, type TestContext } from 'node:test'
import * as client from 'openid-client'
import type { Browser, Page } from 'playwright-core'
import { ManualClock } from '../../src/clock.js'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { codeClient } from '../routes/authorize-support.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000
const SECRET = 'a-confidential-client-secret-of-enough-length'

interface World {
  test: TestApp
  clock: ManualClock
  base: string
  callbackBase: string
  browser: Browser
  page: Page
  user: { id: string; username: string }
}

/** A loopback server that answers every request 200, so the browser can land on it. */
async function callbackServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('callback')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** openid-client configured by discovery, its clock following the server's ManualClock. */
function discover(world: World, registered: ClientRecord, secret?: string) {
  const skewSeconds = Math.round((world.clock.now() - Date.now()) / 1000)
  return client.discovery(
    new URL(world.base),
    registered.id,
    { [client.clockSkew]: skewSeconds },
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
    { execute: [client.allowInsecureRequests] },
  )
}

/** An authorization request as openid-client builds it, with its PKCE verifier, state, nonce. */
async function authorizationUrl(
  config: client.Configuration,
  registered: ClientRecord,
  extra: Record<string, string> = {},
) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: registered.redirectUris[0] as string,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  })
  return { url, verifier, state, nonce }
}

/** Opens `url` in the browser and waits until it lands on the callback server. */
async function landOnCallback(world: World, url: URL | string, act?: () => Promise<void>) {
  const landed = world.page.waitForURL((u) => u.href.startsWith(world.callbackBase))
  await world.page.goto(String(url))
  if (act) await act()
  await landed
  return new URL(world.page.url())
}

/** Fills the hosted login page (the page must show it). */
async function fillLogin(world: World) {
  await world.page.getByLabel('Username or email').fill(world.user.username)
  await world.page.getByLabel('Password').fill(PASSWORD)
  await world.page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

it('openid-client 6 against Portcullis, in Chromium: every case in order on one server and browser', async (t: TestContext) => {
  const world = {} as World

  const port = await freePort()
  world.base = `http://127.0.0.1:${port}`
  world.clock = new ManualClock(Date.now())
  world.test = await buildTestApp(t, {
    clock: world.clock,
    env: { PORTCULLIS_ISSUER: world.base, PORTCULLIS_SCOPES: 'email' },
  })
  await world.test.app.listen({ host: '127.0.0.1', port })
  const callback = await callbackServer()
  t.after(() => new Promise((resolve) => callback.server.close(resolve)))
  world.callbackBase = callback.base
  world.user = await registerUser(world.test.app, 'ada', PASSWORD, { email: 'ada@example.com' })
  const redirect = (name: string) => ({
    redirectUris: [`${callback.base}/${name}/callback`],
    postLogoutRedirectUris: [`${callback.base}/${name}/signed-out`],
    scopes: ['profile', 'email'],
  })
  const publicClient = await codeClient(world.test, { name: 'Public SPA', ...redirect('public') })
  const confidentialClient = await codeClient(world.test, {
    name: 'Server app',
    secret: SECRET,
    ...redirect('confidential'),
  })
  const thirdParty = await codeClient(world.test, {
    name: 'Third-party app',
    firstParty: false,
    ...redirect('third'),
  })
  world.browser = await launchChromium()
  t.after(() => world.browser.close())
  world.page = await world.browser.newPage()
  world.page.setDefaultTimeout(STEP_TIMEOUT)

  await t.test('public client: login page, code, validated ID token, userinfo', async () => {
    const config = await discover(world, publicClient)
    const request = await authorizationUrl(config, publicClient)
    const callback = await landOnCallback(world, request.url, () => fillLogin(world))
    assert.equal(callback.searchParams.get('iss'), world.base)
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    assert.equal(claims?.sub, world.user.id)
    assert.equal(claims?.aud, publicClient.id)
    assert.deepEqual(claims?.amr, ['pwd'])
    const info = await client.fetchUserInfo(config, tokens.access_token, world.user.id)
    assert.deepEqual(info, {
      sub: world.user.id,
      preferred_username: 'ada',
      email: 'ada@example.com',
      email_verified: false,
    })
  })

  await t.test(
    'confidential client (client_secret_basic), signed in already: single sign-on, no page',
    async () => {
      const config = await discover(world, confidentialClient, SECRET)
      const request = await authorizationUrl(config, confidentialClient)
      const callback = await landOnCallback(world, request.url)
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      })
      assert.equal(tokens.claims()?.aud, confidentialClient.id)
      assert.ok(tokens.refresh_token)
    },
  )

  await t.test('prompt=none with a session returns a code without a page', async () => {
    const config = await discover(world, publicClient)
    const request = await authorizationUrl(config, publicClient, { prompt: 'none' })
    const callback = await landOnCallback(world, request.url)
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    })
    assert.equal(tokens.claims()?.sub, world.user.id)
  })

  await t.test(
    'max_age after the session aged asks for the password again; auth_time moves',
    async () => {
      let config = await discover(world, publicClient)
      const first = await authorizationUrl(config, publicClient, { prompt: 'none' })
      const firstTokens = await client.authorizationCodeGrant(
        config,
        await landOnCallback(world, first.url),
        {
          pkceCodeVerifier: first.verifier,
          expectedState: first.state,
          expectedNonce: first.nonce,
        },
      )
      const firstAuthTime = firstTokens.claims()?.auth_time as number
      world.clock.advance(120_000)
      config = await discover(world, publicClient)
      const request = await authorizationUrl(config, publicClient, { max_age: '60' })
      const callback = await landOnCallback(world, request.url, () => fillLogin(world))
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        maxAge: 60,
      })
      assert.ok((tokens.claims()?.auth_time as number) >= firstAuthTime + 120)
    },
  )

  await t.test(
    'a third-party client asks for consent: deny is access_denied, allow gives a code',
    async () => {
      const config = await discover(world, thirdParty)
      const denied = await authorizationUrl(config, thirdParty)
      const deniedAt = await landOnCallback(world, denied.url, async () => {
        await world.page.getByRole('button', { name: 'Deny' }).click()
      })
      assert.equal(deniedAt.searchParams.get('error'), 'access_denied')
      assert.equal(deniedAt.searchParams.get('state'), denied.state)
      await assert.rejects(
        client.authorizationCodeGrant(config, deniedAt, {
          pkceCodeVerifier: denied.verifier,
          expectedState: denied.state,
        }),
        (error: Error & { error?: string }) => error.error === 'access_denied',
      )
      const allowed = await authorizationUrl(config, thirdParty)
      const allowedAt = await landOnCallback(world, allowed.url, async () => {
        await world.page.getByRole('button', { name: 'Allow' }).click()
      })
      const tokens = await client.authorizationCodeGrant(config, allowedAt, {
        pkceCodeVerifier: allowed.verifier,
        expectedState: allowed.state,
        expectedNonce: allowed.nonce,
      })
      assert.equal(tokens.claims()?.aud, thirdParty.id)
    },
  )

  await t.test('refresh gives a new ID token for the same user and login', async () => {
    const config = await discover(world, confidentialClient, SECRET)
    const request = await authorizationUrl(config, confidentialClient, { prompt: 'none' })
    const tokens = await client.authorizationCodeGrant(
      config,
      await landOnCallback(world, request.url),
      {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      },
    )
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    const claims = refreshed.claims()
    assert.ok(refreshed.id_token)
    assert.notEqual(refreshed.id_token, tokens.id_token)
    assert.equal(claims?.sub, world.user.id)
    assert.equal(claims?.auth_time, tokens.claims()?.auth_time)
    assert.equal(claims?.sid, tokens.claims()?.sid)
    assert.equal(claims?.nonce, undefined)
  })

  await t.test(
    'RP-initiated logout: confirm, back to the client with state; then prompt=none is login_required',
    async () => {
      const config = await discover(world, publicClient)
      const request = await authorizationUrl(config, publicClient, { prompt: 'none' })
      const tokens = await client.authorizationCodeGrant(
        config,
        await landOnCallback(world, request.url),
        {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
        },
      )
      const state = client.randomState()
      const logoutUrl = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: publicClient.postLogoutRedirectUris[0] as string,
        state,
      })
      const signedOut = await landOnCallback(world, logoutUrl, async () => {
        await world.page.getByRole('button', { name: 'Sign out' }).click()
      })
      assert.equal(signedOut.pathname, '/public/signed-out')
      assert.equal(signedOut.searchParams.get('state'), state)
      // The tokens of the ended login are revoked with it.
      await assert.rejects(client.fetchUserInfo(config, tokens.access_token, world.user.id))
      const again = await authorizationUrl(config, publicClient, { prompt: 'none' })
      const callback = await landOnCallback(world, again.url)
      assert.equal(callback.searchParams.get('error'), 'login_required')
      assert.equal(callback.searchParams.get('state'), again.state)
    },
  )
})
