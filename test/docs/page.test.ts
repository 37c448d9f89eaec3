/**
 * The /docs page in a real headless Chromium is Portcullis's: its title and header, no Swagger
 * "Explore" top bar, the document from /openapi.json, the tag groups in a newcomer's order, and
 * not one Content-Security-Policy violation under the page's strict policy. Needs Debian's
 * chromium (see test/support/browser.ts).
 *
 * PORTCULLIS_UPDATE_SCREENSHOT=1 also saves the page as docs/images/docs-page.png, the picture
 * the README shows.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'
import { startServer } from '../support/server-process.js'

const screenshot = fileURLToPath(new URL('../../docs/images/docs-page.png', import.meta.url))
// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000

describe('the /docs page in Chromium', () => {
  it('shows Portcullis, loads /openapi.json, orders the groups for a newcomer, obeys its CSP', {
    timeout: 150_000,
  }, async (t) => {
    const browser = await launchChromium()
    t.after(() => browser.close())
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-page-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    // "Try it out" calls the issuer: the server needs its port before it starts.
    const port = await freePort()
    const server = await startServer({
      PORTCULLIS_DATA_DIR: dir,
      PORTCULLIS_PORT: String(port),
    })
    t.after(() => server.stop())

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(STEP_TIMEOUT)
    const requested: string[] = []
    page.on('request', (request) => requested.push(new URL(request.url()).pathname))
    const refused: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text())
    })
    page.on('pageerror', (error) => refused.push(`page error: ${error.message}`))

    const response = await page.goto(`${server.url}/docs`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)

    await page.locator('.opblock-tag').first().waitFor()
    assert.equal(await page.title(), 'Portcullis API docs')
    assert.equal(await page.locator('header.portcullis-header h1').textContent(), 'Portcullis')
    const link = page.locator('header.portcullis-header a')
    assert.equal(await link.getAttribute('href'), '/openapi.json')
    // Swagger UI's top bar (the Fastify logo and the "Explore" box) is gone.
    assert.equal(await page.locator('.topbar').count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Explore' }).count(), 0)
    assert.ok(requested.includes('/openapi.json'), requested.join(' '))
    assert.ok(!requested.includes('/docs/json'), requested.join(' '))

    const groups = await page
      .locator('.opblock-tag')
      .evaluateAll((tags) => tags.map((tag) => tag.getAttribute('data-tag')))
    assert.deepEqual(groups, [
      'users',
      'tokens',
      'sessions',
      'passkeys',
      'admin',
      'keys',
      'meta',
      'health',
    ])
    // The description states the configured lifetimes (test/docs/openapi-description.test.ts).
    await page.getByText('a JWT valid for 15 minutes').waitFor()
    assert.deepEqual(refused, [])

    if (process.env.PORTCULLIS_UPDATE_SCREENSHOT) {
      mkdirSync(dirname(screenshot), { recursive: true })
      await page.screenshot({ path: screenshot })
      t.diagnostic(`saved ${screenshot}`)
    }
  })
})
