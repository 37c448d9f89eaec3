/**
 * /docs signs in with the authorization code flow and PKCE, in a real headless Chromium: the
 * Authorize dialog's authorization code flow opens Portcullis's hosted login page in a popup
 * (the built-in docs client, first-party: no consent), the popup returns through Swagger UI's
 * redirect page, Swagger UI redeems the code with its verifier, and "Try it out" on
 * GET /users/me then answers 200 with the user. Not one Content-Security-Policy violation on
 * the way. Needs Debian's chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { PASSWORD } from '../helpers.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'
import { startServer } from '../support/server-process.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000

describe('/docs with the authorization code flow and PKCE, in Chromium', () => {
  it('Authorize → hosted login → back to /docs authorized → GET /users/me is 200', {
    timeout: 180_000,
  }, async (t) => {
    const browser = await launchChromium()
    t.after(() => browser.close())
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-pkce-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    // The redirect URI and "Try it out" are under the issuer: the port must be known first.
    const port = await freePort()
    const server = await startServer({
      PORTCULLIS_DATA_DIR: dir,
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
    })
    t.after(() => server.stop())
    const reg = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    })
    assert.equal(reg.status, 201, await reg.text())

    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(STEP_TIMEOUT)
    const refused: string[] = []
    const watch = (p: typeof page) => {
      p.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text())
      })
      p.on('pageerror', (error) => refused.push(`page error: ${error.message}`))
    }
    watch(page)
    const tokenRequests: { status: number; form: URLSearchParams }[] = []
    page.on('response', async (response) => {
      const request = response.request()
      if (new URL(response.url()).pathname === '/token' && request.method() === 'POST') {
        tokenRequests.push({
          status: response.status(),
          form: new URLSearchParams(request.postData() ?? ''),
        })
      }
    })
    try {
      await page.goto(`${server.url}/docs`)
      await page.getByRole('button', { name: 'Authorize', exact: true }).click()
      const dialog = page.locator('.dialog-ux')
      await dialog.getByRole('heading', { name: 'Available authorizations' }).waitFor()
      const codeFlow = dialog
        .locator('.auth-container')
        .filter({ hasText: 'Flow: authorizationCode' })
      // The default scopes are ticked (profile among them): enough for GET /users/me.
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        // Swagger UI labels its "Authorize" button so for screen readers.
        codeFlow.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click(),
      ])
      watch(popup)
      popup.setDefaultTimeout(STEP_TIMEOUT)
      await popup.waitForURL((url) => url.pathname === '/login')
      const authorizeUrl = new URL(popup.url())
      assert.equal(authorizeUrl.origin, server.url)
      await popup.locator('input[autocomplete="username"]').fill('alice')
      await popup.locator('input[autocomplete="current-password"]').fill(PASSWORD)
      const closed = popup.waitForEvent('close')
      await popup.locator('input[autocomplete="current-password"]').press('Enter')
      await closed

      await codeFlow.getByRole('heading', { name: 'Authorized' }).waitFor()
      const exchange = tokenRequests.at(-1)
      assert.ok(exchange, 'Swagger UI redeemed the code at /token')
      assert.equal(exchange.status, 200)
      assert.equal(exchange.form.get('grant_type'), 'authorization_code')
      assert.equal(exchange.form.get('client_id'), 'portcullis-docs')
      assert.equal(
        exchange.form.get('redirect_uri'),
        `${server.url}/docs/static/oauth2-redirect.html`,
      )
      assert.match(exchange.form.get('code_verifier') ?? '', /^[A-Za-z0-9._~-]{43,128}$/)
      await codeFlow.getByRole('button', { name: 'Close' }).click()
      await dialog.waitFor({ state: 'hidden' })

      const summary = page.getByRole('button', { name: /^GET \/users\/me / })
      const operation = page.locator('.opblock').filter({ has: summary })
      await summary.click()
      const tryItOut = operation.getByRole('button', { name: 'Try it out' })
      await tryItOut
        .or(operation.getByRole('button', { name: 'Execute' }))
        .first()
        .waitFor()
      if (await tryItOut.isVisible()) await tryItOut.click()
      await operation.getByRole('button', { name: 'Execute' }).click()
      const shown = operation.locator('.live-responses-table .response')
      await shown.waitFor()
      const status = ((await shown.locator('.response-col_status').textContent()) ?? '').trim()
      const body = (await shown.getByRole('code').first().textContent()) ?? ''
      assert.equal(status, '200', body)
      assert.equal((JSON.parse(body) as { username: string }).username, 'alice')
      assert.deepEqual(refused, [])
    } catch (error) {
      const shot = join(tmpdir(), `portcullis-docs-pkce-failure-${process.pid}.png`)
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {})
      t.diagnostic(`screenshot: ${shot}`)
      for (const line of server.output().trimEnd().split('\n').slice(-20)) t.diagnostic(line)
      throw error
    } finally {
      await context.close()
    }
  })
})
