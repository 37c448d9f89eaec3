/**
 * The web app example with Portcullis, both as real processes, driven by a headless Chromium:
 * the app discovers Portcullis (openid-client), sends the browser to the hosted login page with
 * PKCE, state and nonce, shows the user's name and email from /userinfo, and signs out through
 * the end_session_endpoint, after which Portcullis asks for the password again. Needs Debian's
 * chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { PASSWORD } from '../helpers.js'
import { launchChromium } from '../support/browser.js'
import { runCli } from '../support/cli.js'
import { freePort } from '../support/postgres.js'
import { type RunningServer, startServer } from '../support/server-process.js'
import { startWebApp, type WebAppProcess } from './web-app-process.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000
const CLIENT_ID = 'example-web-app'

describe('the web app example with Portcullis, as real processes, in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-web-app-'))
  let browser: Browser
  let portcullis: RunningServer
  let webApp: WebAppProcess
  const stops: (() => Promise<unknown>)[] = []

  before(async () => {
    browser = await launchChromium()
    stops.push(() => browser.close())
    // The issuer is the address the browser uses: its port is chosen before the start.
    const port = await freePort()
    const env = {
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
    }
    portcullis = await startServer(env)
    stops.push(() => portcullis.stop())
    const reg = await fetch(`${portcullis.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'alice',
        password: PASSWORD,
        email: 'alice@example.com',
        full_name: 'Alice Liddell',
      }),
    })
    assert.equal(reg.status, 201, await reg.text())
    const appPort = await freePort()
    const appUrl = `http://127.0.0.1:${appPort}`
    // Registered as the README says: a public first-party client, exact redirect URIs.
    const created = await runCli(
      [
        'clients',
        'create',
        '--id',
        CLIENT_ID,
        '--name',
        'Example web app',
        '--grant-types',
        'authorization_code,refresh_token',
        '--scopes',
        'profile email',
        '--public',
        '--first-party',
        '--redirect-uri',
        `${appUrl}/callback`,
        '--post-logout-redirect-uri',
        `${appUrl}/`,
      ],
      { PORTCULLIS_DATA_DIR: dataDir },
    )
    assert.equal(created.code, 0, created.out)
    webApp = await startWebApp({
      PORTCULLIS_ISSUER: portcullis.url,
      WEBAPP_CLIENT_ID: CLIENT_ID,
      WEBAPP_PORT: String(appPort),
    })
    stops.push(() => webApp.stop())
  })

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** A fresh browser context; on failure a screenshot and both processes' last lines. */
  async function withPage(t: TestContext, run: (page: Page) => Promise<void>) {
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(STEP_TIMEOUT)
    try {
      await run(page)
    } catch (error) {
      const shot = join(tmpdir(), `portcullis-web-app-failure-${process.pid}-${Date.now()}.png`)
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {})
      t.diagnostic(`screenshot: ${shot}`)
      for (const line of portcullis.output().trimEnd().split('\n').slice(-15)) t.diagnostic(line)
      for (const line of webApp.output().trimEnd().split('\n').slice(-15)) t.diagnostic(line)
      throw error
    } finally {
      await context.close()
    }
  }

  async function signIn(page: Page) {
    await page.goto(webApp.url)
    await page.getByRole('link', { name: 'Sign in' }).click()
    await page.waitForURL((url) => url.origin === portcullis.url && url.pathname === '/login')
    await page.locator('input[autocomplete="username"]').fill('alice')
    await page.locator('input[autocomplete="current-password"]').fill(PASSWORD)
    await page.locator('input[autocomplete="current-password"]').press('Enter')
    await page.waitForURL(`${webApp.url}/`)
  }

  it('signs in through the hosted login page and shows the name and email from /userinfo', {
    timeout: 180_000,
  }, async (t) => {
    await withPage(t, async (page) => {
      await signIn(page)
      assert.equal(await page.locator('#name').textContent(), 'Alice Liddell')
      assert.equal(await page.locator('#email').textContent(), 'alice@example.com')
      // The app's session is a server-side one behind an opaque HttpOnly cookie.
      const cookies = await page.context().cookies(webApp.url)
      const session = cookies.find((c) => c.name === 'webapp_session')
      assert.ok(session, cookies.map((c) => c.name).join(' '))
      assert.equal(session.httpOnly, true)
      assert.equal(session.sameSite, 'Lax')
      assert.match(session.value, /^[A-Za-z0-9_-]{43}$/)
    })
  })

  it('signs out through the end_session_endpoint; the next sign-in asks for the password', {
    timeout: 180_000,
  }, async (t) => {
    await withPage(t, async (page) => {
      await signIn(page)
      await page.getByRole('button', { name: 'Sign out' }).click()
      // Portcullis's logout confirmation (RP-Initiated Logout 1.0 §2), then back to the app.
      await page.waitForURL((url) => url.origin === portcullis.url)
      await page.locator('form[method="post"] button[type="submit"]').first().click()
      await page.waitForURL(`${webApp.url}/`)
      await page.getByText('You are not signed in.').waitFor()
      // The provider's browser session ended too: no single sign-on, the login page again.
      await page.getByRole('link', { name: 'Sign in' }).click()
      await page.waitForURL((url) => url.origin === portcullis.url && url.pathname === '/login')
    })
  })
})
