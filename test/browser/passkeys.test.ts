/**
 * Passkeys in a real headless Chromium with the DevTools protocol's virtual authenticator
 * (CTAP2, internal transport, resident keys, user verification), against a listening Portcullis
 * whose issuer is `http://localhost:<port>` (browsers refuse an IP address as the WebAuthn RP
 * ID). openid-client drives the authorization code flow and validates the ID tokens. In order,
 * on one server and browser: a password sign-in, then a passkey added on GET /add-passkey;
 * signed out, a sign-in with the passkey alone (no username) on the hosted login page; signed
 * out again, a password then the passkey as the second factor. The signature counter is stored
 * and grows. Needs Debian's chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it, type TestContext } from 'node:test'
import * as client from 'openid-client'
import type { BrowserContext, Page } from 'playwright-core'
import { ManualClock } from '../../src/clock.js'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { codeClient } from '../routes/authorize-support.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000

async function callbackServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('callback')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

interface World {
  test: TestApp
  clock: ManualClock
  base: string
  callbackBase: string
  registered: ClientRecord
  config: client.Configuration
  context: BrowserContext
  page: Page
  problems: string[]
}

/** One authorization code flow in the browser: `act` signs in; returns the validated claims. */
async function signIn(world: World, act: () => Promise<void>) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(world.config, {
    redirect_uri: world.registered.redirectUris[0] as string,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  // Away from the last callback first: waitForURL resolves at once on a page already there.
  await world.page.goto('about:blank')
  const landed = world.page.waitForURL((u) => u.href.startsWith(world.callbackBase))
  await world.page.goto(String(url))
  await act()
  await landed
  const tokens = await client.authorizationCodeGrant(world.config, new URL(world.page.url()), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  })
  const claims = tokens.claims()
  assert.ok(claims)
  return claims
}

const passkeyOf = async (world: World, userId: string) => {
  const factors = await world.test.services.store.mfaFactors.listForUser(userId)
  const passkeys = factors.filter((f) => f.kind === 'passkey')
  assert.equal(passkeys.length, 1)
  return passkeys[0] as (typeof passkeys)[0]
}

it('passkeys in Chromium: register on a page, sign in with it alone, and as a second factor', async (t: TestContext) => {
  const world = { problems: [] as string[] } as World
  const port = await freePort()
  world.base = `http://localhost:${port}`
  world.clock = new ManualClock(Date.now())
  world.test = await buildTestApp(t, { clock: world.clock, env: { PORTCULLIS_ISSUER: world.base } })
  await world.test.app.listen({ host: 'localhost', port })
  const callback = await callbackServer()
  t.after(() => new Promise((resolve) => callback.server.close(resolve)))
  world.callbackBase = callback.base
  const user = await registerUser(world.test.app, 'ada', PASSWORD)
  world.registered = await codeClient(world.test, {
    name: 'Notes app',
    redirectUris: [`${callback.base}/callback`],
    scopes: ['profile'],
  })
  world.config = await client.discovery(
    new URL(world.base),
    world.registered.id,
    { [client.clockSkew]: Math.round((world.clock.now() - Date.now()) / 1000) },
    client.None(),
    { execute: [client.allowInsecureRequests] },
  )
  const browser = await launchChromium()
  t.after(() => browser.close())
  world.context = await browser.newContext()
  world.page = await world.context.newPage()
  world.page.setDefaultTimeout(STEP_TIMEOUT)
  world.page.on('console', (m) => {
    if (m.type() === 'error') world.problems.push(m.text())
  })
  world.page.on('pageerror', (e) => world.problems.push(String(e)))
  const cdp = await world.context.newCDPSession(world.page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  })

  await t.test('a password sign-in, then a passkey added on GET /add-passkey', async () => {
    const claims = await signIn(world, async () => {
      await world.page.getByLabel('Username or email').fill('ada')
      await world.page.getByLabel('Password').fill(PASSWORD)
      await world.page.getByRole('button', { name: 'Sign in', exact: true }).click()
    })
    assert.deepEqual(claims.amr, ['pwd'])
    await world.page.goto(`${world.base}/add-passkey`)
    await world.page.getByLabel('Name (optional)').fill('Laptop')
    await world.page.getByRole('button', { name: 'Add a passkey' }).click()
    await world.page.getByText('Passkey added.').waitFor()
    const passkey = await passkeyOf(world, user.id)
    assert.equal(passkey.name, 'Laptop')
    assert.equal(passkey.backupEligible, false)
  })

  let counter = 0
  await t.test('signed out, the passkey alone signs in: ID token amr hwk user mfa', async () => {
    await world.context.clearCookies()
    const claims = await signIn(world, async () => {
      await world.page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    })
    assert.equal(claims.sub, user.id)
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa'])
    const passkey = await passkeyOf(world, user.id)
    assert.ok((passkey.signCount ?? 0) > 0, `counter ${passkey.signCount}`)
    assert.notEqual(passkey.lastUsedAt, null)
    counter = passkey.signCount ?? 0
  })

  await t.test(
    'signed out, a password then the passkey as second factor: pwd hwk user mfa',
    async () => {
      await world.context.clearCookies()
      const claims = await signIn(world, async () => {
        await world.page.getByLabel('Username or email').fill('ada')
        await world.page.getByLabel('Password').fill(PASSWORD)
        await world.page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await world.page.getByRole('button', { name: 'Use a passkey' }).click()
      })
      assert.equal(claims.sub, user.id)
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa'])
      const passkey = await passkeyOf(world, user.id)
      assert.ok((passkey.signCount ?? 0) > counter, `counter ${passkey.signCount} after ${counter}`)
    },
  )

  assert.deepEqual(world.problems, [])
})
