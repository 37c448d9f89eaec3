/**
 * The hosted login page's second step in Chromium (JavaScript off: the pages need none), driven
 * by openid-client (a certified relying party library) against a real listening Portcullis:
 * password then TOTP code (computed from the secret at the server's ManualClock time), password
 * then a recovery code, and the enrollment walk-through of a role that requires a factor. Every
 * page keeps the strict CSP (no violation reported, no script element) and labels its fields.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it, type TestContext } from 'node:test'
import * as client from 'openid-client'
import type { Browser, Page, Response } from 'playwright-core'
import { ManualClock } from '../../src/clock.js'
import type { ClientRecord } from '../../src/store/store.js'
import { codeAt, enrolledUser, STEP_MS } from '../auth/mfa-support.js'
import { buildTestApp, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { codeClient } from '../routes/authorize-support.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self' %ORIGIN%; base-uri 'none'; frame-ancestors 'none'"

interface World {
  test: TestApp
  clock: ManualClock
  base: string
  callbackBase: string
  browser: Browser
  registered: ClientRecord
  problems: string[]
}

/** A fresh browser context (no cookies, JavaScript off) that records CSP violations. */
async function freshPage(world: World): Promise<Page> {
  const context = await world.browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) world.problems.push(message.text())
  })
  page.on('pageerror', (error) => world.problems.push(`page error: ${error.message}`))
  return page
}

/** openid-client by discovery, its clock following the server's, and a request URL. */
async function startRequest(world: World) {
  const skewSeconds = Math.round((world.clock.now() - Date.now()) / 1000)
  const config = await client.discovery(
    new URL(world.base),
    world.registered.id,
    { [client.clockSkew]: skewSeconds },
    client.None(),
    { execute: [client.allowInsecureRequests] },
  )
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: world.registered.redirectUris[0] as string,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  return { config, url, verifier, state, nonce }
}

/** Fills the password form; returns the response of its POST (the second step's page). */
async function signInWithPassword(page: Page, username: string): Promise<Response> {
  await page.getByLabel('Username or email').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login')),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ])
  return response
}

/** The strict page headers, and no script but the passkey form's, from this server. */
async function assertStrictPage(world: World, page: Page, response: Response) {
  assert.equal(response.status(), 200)
  const origin = new URL(world.callbackBase).origin
  assert.equal(response.headers()['content-security-policy'], CSP.replace('%ORIGIN%', origin))
  assert.equal(response.headers()['cache-control'], 'no-store')
  const scripts = await page
    .locator('script')
    .evaluateAll((all) =>
      all.map((s) => [s.getAttribute('src')?.split('?')[0] ?? null, s.textContent ?? ''] as const),
    )
  for (const [src, text] of scripts) {
    assert.equal(src, 'assets/passkey.js')
    assert.equal(text, '')
  }
  // The step's token travels in the form only, never in the address.
  assert.ok(!page.url().includes('mfa_token'), page.url())
}

/** Exchanges the callback's code through openid-client; the validated ID token's claims. */
async function claimsAt(
  request: Awaited<ReturnType<typeof startRequest>>,
  page: Page,
): Promise<client.IDToken> {
  const tokens = await client.authorizationCodeGrant(request.config, new URL(page.url()), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  })
  return tokens.claims() as client.IDToken
}

it('the login page second step in Chromium: TOTP, recovery code, enrollment', {
  timeout: 300_000,
}, async (t: TestContext) => {
  const port = await freePort()
  const world = { problems: [] as string[] } as World
  world.base = `http://127.0.0.1:${port}`
  world.clock = new ManualClock(Date.now())
  world.test = await buildTestApp(t, {
    clock: world.clock,
    env: { PORTCULLIS_ISSUER: world.base, PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' },
  })
  await world.test.app.listen({ host: '127.0.0.1', port })
  const callback = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('callback')
  })
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => callback.close(resolve)))
  world.callbackBase = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`
  world.registered = await codeClient(world.test, {
    name: 'Notes app',
    redirectUris: [`${world.callbackBase}/callback`],
  })
  const ada = await enrolledUser(world.test, 'ada')
  world.browser = await launchChromium()
  t.after(() => world.browser.close())

  await t.test('password, then the code of the authenticator app: amr pwd otp mfa', async () => {
    const page = await freshPage(world)
    const request = await startRequest(world)
    await page.goto(String(request.url))
    const second = await signInWithPassword(page, 'ada')
    await assertStrictPage(world, page, second)
    const code = page.getByLabel('Code from your authenticator app')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    assert.equal(await page.locator('#second-factor-passkey').count(), 1)
    await code.fill('000000')
    await Promise.all([
      page.waitForURL(`${world.base}/login-mfa`),
      page.getByRole('button', { name: 'Verify' }).click(),
    ])
    assert.equal(await page.getByRole('alert').textContent(), 'That code is not right. Try again.')
    await page.getByLabel('Code from your authenticator app').fill(codeAt(world.test, ada.secret))
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(world.callbackBase)),
      page.getByRole('button', { name: 'Verify' }).click(),
    ])
    const claims = await claimsAt(request, page)
    assert.equal(claims.sub, ada.user.id)
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
    await page.context().close()
  })

  await t.test('password, then a recovery code (no script: a <details>): amr pwd mfa', async () => {
    world.clock.advance(STEP_MS)
    const page = await freshPage(world)
    const request = await startRequest(world)
    await page.goto(String(request.url))
    await assertStrictPage(world, page, await signInWithPassword(page, 'ada'))
    await page.getByText('Use a recovery code').click()
    const field = page.getByLabel('Recovery code')
    assert.equal(await field.getAttribute('autocomplete'), 'off')
    await field.fill(ada.recoveryCodes[0] as string)
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(world.callbackBase)),
      page.getByRole('button', { name: 'Use recovery code' }).click(),
    ])
    assert.deepEqual((await claimsAt(request, page)).amr, ['pwd', 'mfa'])
    await page.context().close()
  })

  await t.test(
    'a role that requires a factor: enrollment with the QR code, recovery codes, Continue',
    async () => {
      world.clock.advance(STEP_MS)
      const root = await registerUser(world.test.app, 'root')
      await world.test.services.store.users.setRoles(
        root.id,
        ['user', 'admin'],
        new Date().toISOString(),
      )
      const page = await freshPage(world)
      const request = await startRequest(world)
      await page.goto(String(request.url))
      await assertStrictPage(world, page, await signInWithPassword(page, 'root'))
      assert.equal(await page.locator('#totp-qr svg').count(), 1)
      const secret = (await page.locator('#totp-secret').textContent()) as string
      const code = page.getByLabel('Code from your authenticator app')
      assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
      await code.fill(codeAt(world.test, secret))
      await Promise.all([
        page.waitForURL(`${world.base}/login-mfa-enroll`),
        page.getByRole('button', { name: 'Turn on' }).click(),
      ])
      assert.equal(await page.locator('#recovery-codes li').count(), 10)
      const scripts = await page
        .locator('script')
        .evaluateAll((all) =>
          all.map(
            (s) => [s.getAttribute('src')?.split('?')[0] ?? null, s.textContent ?? ''] as const,
          ),
        )
      for (const [src, text] of scripts) {
        assert.equal(src, 'assets/passkey.js')
        assert.equal(text, '')
      }
      await Promise.all([
        page.waitForURL((u) => u.href.startsWith(world.callbackBase)),
        page.getByRole('button', { name: 'Continue' }).click(),
      ])
      const claims = await claimsAt(request, page)
      assert.equal(claims.sub, root.id)
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
      await page.context().close()
    },
  )

  assert.deepEqual(world.problems, [])
})
