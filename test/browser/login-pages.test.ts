/**
 * The hosted login and consent pages in a real headless Chromium with JavaScript disabled, on a
 * real listening server, and a small client app on another origin (localhost vs 127.0.0.1: another
 * site) that receives the redirect: a failed then a successful sign-in, consent allowed and
 * denied, the login page refused inside another origin's frame, and a cross-site form post
 * refused without a session. Needs Debian's chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { describe, it, type TestContext } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { authorizeQuery, codeClient, exchange, pkce } from '../routes/authorize-support.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000

interface Setup extends TestApp {
  base: string
  /** The client app's origin (another site than `base`). */
  appOrigin: string
  /** What the client app serves at `/attack` (set by a test). */
  attackPage: { html: string }
  client: ClientRecord
  context: BrowserContext
  page: Page
  /** CSP violations and page errors the browser reported. */
  problems: string[]
}

async function setUp(t: TestContext, clientFields: Partial<ClientRecord> = {}): Promise<Setup> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const testApp = await buildTestApp(t, { env: { PORTCULLIS_ISSUER: base } })
  await testApp.app.listen({ host: '127.0.0.1', port })
  const appPort = await freePort()
  const appOrigin = `http://localhost:${appPort}`
  const attackPage = { html: '' }
  const appServer = createServer((request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8')
    response.end(
      request.url?.startsWith('/attack')
        ? attackPage.html
        : '<!doctype html><title>client</title><p id="callback">back at the client</p>',
    )
  })
  await new Promise<void>((resolve) => appServer.listen(appPort, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => appServer.close(() => resolve())))
  const client = await codeClient(testApp, {
    redirectUris: [`${appOrigin}/callback`],
    name: 'Notes app',
    ...clientFields,
  })
  await registerUser(testApp.app, 'alice')
  const browser = await launchChromium()
  t.after(() => browser.close())
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const problems: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return { ...testApp, base, appOrigin, attackPage, client, context, page, problems }
}

/** Opens `/authorize` for the client; returns the PKCE verifier. */
async function startSignIn(setup: Setup, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce()
  const query = authorizeQuery(setup.client, challenge, { scope: 'profile', ...extra })
  await setup.page.goto(`${setup.base}/authorize?${new URLSearchParams(query)}`)
  return verifier
}

/** The client's callback the browser landed on: its `code` (or `error`) and `state`. */
function callback(setup: Setup) {
  const url = new URL(setup.page.url())
  assert.equal(`${url.origin}${url.pathname}`, `${setup.appOrigin}/callback`, setup.page.url())
  return url.searchParams
}

const sessionCookies = async (context: BrowserContext) =>
  (await context.cookies()).filter((c) => c.name.endsWith('portcullis-session'))

describe('the hosted login pages in Chromium (JavaScript off)', () => {
  it('a failed then a successful sign-in; the code is exchanged', {
    timeout: 180_000,
  }, async (t) => {
    const setup = await setUp(t)
    const { page } = setup
    const verifier = await startSignIn(setup)
    assert.equal(new URL(page.url()).pathname, '/login')
    const username = page.getByLabel('Username or email')
    const password = page.getByLabel('Password', { exact: true })
    assert.equal(await username.getAttribute('autocomplete'), 'username')
    assert.equal(await password.getAttribute('autocomplete'), 'current-password')
    assert.ok((await page.textContent('body'))?.includes('Notes app'))

    await username.fill('alice')
    await password.fill('not the password at all')
    await Promise.all([
      page.waitForURL(`${setup.base}/login`),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ])
    assert.equal(await page.getByRole('alert').textContent(), 'Wrong username or password.')
    assert.equal(await username.inputValue(), 'alice')
    assert.equal(await password.inputValue(), '')
    assert.deepEqual(await sessionCookies(setup.context), [])

    await password.fill(PASSWORD)
    await Promise.all([
      page.waitForURL(`${setup.appOrigin}/callback?**`),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ])
    const params = callback(setup)
    assert.equal(params.get('state'), 'xyz')
    const code = params.get('code')
    assert.ok(code)
    const token = await exchange(setup, setup.client, code, verifier)
    assert.equal(token.statusCode, 200, token.body)
    const [cookie] = await sessionCookies(setup.context)
    assert.equal(cookie?.httpOnly, true)
    assert.equal(cookie?.sameSite, 'Lax')
    // Single sign-on: the next request goes straight back with a code.
    await startSignIn(setup)
    assert.ok(callback(setup).get('code'))
    assert.deepEqual(setup.problems, [])
  })

  it('consent: Allow sends a code, Deny sends access_denied', { timeout: 180_000 }, async (t) => {
    const setup = await setUp(t, { firstParty: false })
    const { page } = setup
    await startSignIn(setup)
    await page.getByLabel('Username or email').fill('alice')
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await Promise.all([
      page.waitForURL(`${setup.base}/consent?**`),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ])
    assert.ok((await page.textContent('body'))?.includes('See your username and name'))
    await Promise.all([
      page.waitForURL(`${setup.appOrigin}/callback?**`),
      page.getByRole('button', { name: 'Deny' }).click(),
    ])
    assert.equal(callback(setup).get('error'), 'access_denied')

    await startSignIn(setup)
    await page.waitForURL(`${setup.base}/consent?**`)
    await Promise.all([
      page.waitForURL(`${setup.appOrigin}/callback?**`),
      page.getByRole('button', { name: 'Allow' }).click(),
    ])
    assert.ok(callback(setup).get('code'))
    assert.deepEqual(setup.problems, [])
  })

  it('the login page inside another origin’s frame is refused', { timeout: 180_000 }, async (t) => {
    const setup = await setUp(t)
    const query = authorizeQuery(setup.client, pkce().challenge)
    const loginUrl = `${setup.base}/login?${new URLSearchParams(query)}`
    setup.attackPage.html = `<!doctype html><title>frame</title><iframe id="victim" src="${loginUrl.replaceAll('&', '&amp;')}"></iframe>`
    await setup.page.goto(`${setup.appOrigin}/attack`)
    await setup.page.waitForLoadState('load')
    const frame = setup.page.frames().find((f) => f !== setup.page.mainFrame())
    assert.ok(frame, 'the iframe exists')
    assert.equal(await frame.locator('input[name="password"]').count(), 0)
    // The same page opened on its own shows the form: the frame was refused, not the page.
    await setup.page.goto(loginUrl)
    assert.equal(await setup.page.locator('input[name="password"]').count(), 1)
  })

  it('a cross-site form post to /login is refused and signs nobody in', {
    timeout: 180_000,
  }, async (t) => {
    const setup = await setUp(t)
    const query = authorizeQuery(setup.client, pkce().challenge)
    // The victim has the login page open (so holds its CSRF cookie); the attacker's page posts
    // the right credentials with a value of its own.
    await setup.page.goto(`${setup.base}/login?${new URLSearchParams(query)}`)
    const fields = { ...query, csrf: 'A'.repeat(43), username: 'alice', password: PASSWORD }
    const inputs = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
      .join('')
    setup.attackPage.html = `<!doctype html><title>attack</title><form method="post" action="${setup.base}/login">${inputs}<button type="submit">Win a prize</button></form>`
    await setup.page.goto(`${setup.appOrigin}/attack`)
    const [response] = await Promise.all([
      setup.page.waitForResponse(`${setup.base}/login`),
      setup.page.getByRole('button', { name: 'Win a prize' }).click(),
    ])
    assert.equal(response.status(), 403)
    assert.deepEqual(await sessionCookies(setup.context), [])
  })
})
