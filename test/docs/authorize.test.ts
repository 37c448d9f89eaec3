/**
 * The interactive docs in a real headless Chromium: the Authorize dialog of /docs lists every
 * offered scope as a checkbox in its password flow, logs in with it, and "Try it out" then calls
 * the API with the token. (The authorization code flow beside it: test/browser/docs-pkce.test.ts.) Needs Debian's chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import type { Browser, Locator, Page } from 'playwright-core'
import { PASSWORD } from '../helpers.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'
import { type RunningServer, startServer } from '../support/server-process.js'

const ADMIN = 'root'
const ADMIN_PASSWORD = 'a long and unguessable bootstrap phrase'
const SCOPES = ['profile', 'sessions', 'admin', 'email']
// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000

interface Started {
  browser: Browser
  server: RunningServer
  dir: string
}
let started: Promise<Started> | undefined

/** Chromium and a server with an admin and a user, started once for the file by its first test. */
function ready(): Promise<Started> {
  started ??= start()
  return started
}

async function start(): Promise<Started> {
  // Throws, with the install command, when Chromium is missing: every test fails with it.
  const browser = await launchChromium()
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-'))
  let server: RunningServer | undefined
  try {
    // Swagger UI sends "Try it out" and the token request to the OpenAPI server URL, which is
    // the issuer (http://host:port by default): the server needs its port before it starts.
    const port = await freePort()
    server = await startServer({
      PORTCULLIS_DATA_DIR: dir,
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      // Not a test of load shedding: a busy machine (a browser on 2 cores) must not get 503s.
      PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
      PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: ADMIN,
      PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    })
    const reg = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    })
    assert.equal(reg.status, 201, await reg.text())
    return { browser, server, dir }
  } catch (error) {
    await server?.stop()
    await browser.close()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

after(async () => {
  const running = await started?.catch(() => undefined)
  if (!running) return
  await running.browser.close()
  await running.server.stop()
  rmSync(running.dir, { recursive: true, force: true })
})

/** A fresh page on /docs; on failure a full-page screenshot is left in the temp dir. */
async function withDocs(t: TestContext, run: (page: Page, server: RunningServer) => Promise<void>) {
  const { browser, server } = await ready()
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  try {
    await page.goto(`${server.url}/docs`)
    await run(page, server)
  } catch (error) {
    const shot = join(tmpdir(), `portcullis-docs-failure-${process.pid}-${Date.now()}.png`)
    await page.screenshot({ path: shot, fullPage: true }).then(
      () => t.diagnostic(`screenshot of the page: ${shot}`),
      () => {},
    )
    const log = server.output().trimEnd().split('\n').slice(-20)
    for (const line of ['last lines of the server output:', ...log]) t.diagnostic(line)
    throw error
  } finally {
    await context.close()
  }
}

/**
 * Opens the Authorize dialog; returns its password flow's form (the authorization code flow's
 * is beside it, under the same scheme).
 */
async function openAuthorize(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Authorize', exact: true }).click()
  const dialog = page.locator('.dialog-ux')
  await dialog.getByRole('heading', { name: 'Available authorizations' }).waitFor()
  return dialog.locator('.auth-container').filter({ hasText: 'Flow: password' })
}

/** A scope's checkbox. Swagger UI hides the input and styles its label: look it up hidden. */
function scopeBox(dialog: Locator, scope: string): Locator {
  return dialog.getByRole('checkbox', { name: new RegExp(`^${scope}\\b`), includeHidden: true })
}

/** Ticks or unticks a scope the way a person does: by clicking its label. */
async function setScope(dialog: Locator, scope: string, on: boolean) {
  const box = scopeBox(dialog, scope)
  if ((await box.isChecked()) !== on) {
    await dialog.locator('.scopes').getByText(scope, { exact: true }).click()
  }
  assert.equal(await box.isChecked(), on, `scope ${scope} ticked: ${on}`)
}

/** Fills the password form, submits it, waits for "Authorized" and closes the dialog. */
async function logIn(page: Page, dialog: Locator, username: string, password: string) {
  await dialog.getByRole('textbox', { name: 'username:' }).fill(username)
  await dialog.getByRole('textbox', { name: 'password:' }).fill(password)
  const tokenResponse = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/token' && r.request().method() === 'POST',
  )
  await dialog.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click()
  const token = await tokenResponse
  const body = await token.text()
  assert.equal(token.status(), 200, `POST /token answered ${token.status()}: ${body}`)
  await dialog.getByRole('heading', { name: 'Authorized' }).waitFor()
  await dialog.getByRole('button', { name: 'Close' }).click()
  await page.locator('.dialog-ux').waitFor({ state: 'hidden' })
  return JSON.parse(body) as { scope: string }
}

/** "Try it out" → "Execute" on an operation; returns the status and body the page shows. */
async function execute(page: Page, method: string, path: string) {
  const summary = page.getByRole('button', { name: new RegExp(`^${method} ${path} `) })
  const operation = page.locator('.opblock').filter({ has: summary })
  await summary.click()
  const tryItOut = operation.getByRole('button', { name: 'Try it out' })
  // tryItOutEnabled: true opens the form at once; a person would click "Try it out" otherwise.
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
  return { status, body }
}

interface OpenApi {
  components: {
    securitySchemes: {
      OAuth2PasswordBearer: { flows: { password: { scopes: Record<string, string> } } }
    }
  }
}

// Generous: the first test also starts Chromium and the server.
const timeout = 150_000

describe('the Authorize dialog of /docs in Chromium', () => {
  it('lists every scope as a checkbox; with admin ticked, GET /admin/users shows the users', {
    timeout,
  }, async (t) => {
    await withDocs(t, async (page, server) => {
      // The scopes the OpenAPI security scheme offers: the ones the dialog must list.
      const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApi
      const offered = spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.scopes
      assert.deepEqual(Object.keys(offered), SCOPES)

      const dialog = await openAuthorize(page)
      assert.equal(
        await dialog.getByRole('checkbox', { includeHidden: true }).count(),
        SCOPES.length,
        'one checkbox per scope',
      )
      for (const scope of SCOPES) {
        assert.equal(await scopeBox(dialog, scope).count(), 1, `a checkbox for ${scope}`)
        // The defaults are ticked; admin never is (least privilege).
        assert.equal(await scopeBox(dialog, scope).isChecked(), scope !== 'admin', scope)
      }
      await setScope(dialog, 'profile', true)
      await setScope(dialog, 'admin', true)
      const token = await logIn(page, dialog, ADMIN, ADMIN_PASSWORD)
      assert.ok(token.scope.split(' ').includes('admin'), `granted: ${token.scope}`)

      const shown = await execute(page, 'GET', '/admin/users')
      assert.equal(shown.status, '200', shown.body)
      const list = JSON.parse(shown.body) as { users: { username: string; roles: string[] }[] }
      assert.deepEqual(
        list.users.map((u) => [u.username, u.roles]),
        [
          ['alice', ['user']],
          [ADMIN, ['user', 'admin']],
        ],
      )
    })
  })

  it('without admin ticked, GET /admin/users shows 403 insufficient_scope', {
    timeout,
  }, async (t) => {
    await withDocs(t, async (page) => {
      const dialog = await openAuthorize(page)
      await setScope(dialog, 'admin', false)
      const token = await logIn(page, dialog, ADMIN, ADMIN_PASSWORD)
      assert.ok(!token.scope.split(' ').includes('admin'), `granted: ${token.scope}`)

      const shown = await execute(page, 'GET', '/admin/users')
      assert.equal(shown.status, '403', shown.body)
      assert.equal((JSON.parse(shown.body) as { error: string }).error, 'insufficient_scope')
    })
  })
})
