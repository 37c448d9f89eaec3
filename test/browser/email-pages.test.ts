/**
 * The hosted email pages in a real headless Chromium, on a real listening server whose mail
 * goes over SMTP to the test harness (test/support/smtp.ts): the link is read from the RECEIVED
 * message and opened as a user would open it. The reset page sets a new password that then logs
 * in at POST /token (and the old one no longer does); the verify page confirms an address. No
 * request the pages make carries the token in its URL, the fragment leaves the address bar, and
 * the pages break no rule of their CSP. Needs Debian's chromium (see test/support/browser.ts).
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { Page } from 'playwright-core'
import { buildTestApp, PASSWORD, type TestApp } from '../helpers.js'
import { launchChromium } from '../support/browser.js'
import { freePort } from '../support/postgres.js'
import { type SmtpHarness, startSmtp } from '../support/smtp.js'

// The machine is slow (2 cores): every wait is generous, and none is a sleep.
const STEP_TIMEOUT = 30_000
const NEW_PASSWORD = 'a brand new passphrase typed in the browser'

interface Setup extends TestApp {
  base: string
  smtp: SmtpHarness
  page: Page
  /** Every request the page made: method, URL, form body. */
  requests: { method: string; url: string; body: string | null }[]
  /** CSP violations and page errors reported by the browser. */
  problems: string[]
}

/** An app listening on its issuer's address, mailing through the harness, and a browser page. */
async function setUp(t: TestContext): Promise<Setup> {
  const smtp = await startSmtp(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const testApp = await buildTestApp(t, { env: { ...smtp.env(), PORTCULLIS_ISSUER: base } })
  await testApp.app.listen({ host: '127.0.0.1', port })
  const browser = await launchChromium()
  t.after(() => browser.close())
  const page = await browser.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const requests: Setup['requests'] = []
  page.on('request', (request) =>
    requests.push({ method: request.method(), url: request.url(), body: request.postData() }),
  )
  const problems: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return { ...testApp, base, smtp, page, requests, problems }
}

async function post(base: string, path: string, body: Record<string, string>) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function passwordLogin(base: string, username: string, password: string) {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  })
  return res.status
}

/**
 * Sends what the outbox holds (the sender's one round), waits until the harness has received
 * `count` messages in all, and returns the link to `page` in the one addressed to `to`.
 */
async function receivedLink(setup: Setup, count: number, to: string, page: string) {
  await setup.services.mailSender.runOnce()
  const messages = await setup.smtp.waitForMessages(count)
  const message = messages.find(
    (m) => m.envelope.to.includes(to) && m.text.includes(`/${page}#token=`),
  )
  assert.ok(message, `no ${page} link to ${to}`)
  const match = new RegExp(`(\\S+/${page}#token=\\S+)`).exec(message.text)
  assert.ok(match?.[1], message.text)
  return match[1]
}

/** The token of a link (its fragment), as the page's script reads it. */
const tokenOf = (link: string) => decodeURIComponent(link.split('#token=')[1] as string)

/** No request URL carried the token; the `posts` POSTs, all to `path`, carried it in their form body. */
function assertTokenOnlyInTheForm(setup: Setup, token: string, path: string, posts: number) {
  const leaks = setup.requests.filter(
    (r) => r.url.includes(token) || r.url.includes(encodeURIComponent(token)),
  )
  assert.deepEqual(leaks, [])
  const sent = setup.requests.filter((r) => r.method === 'POST')
  assert.deepEqual(
    sent.map((r) => r.url),
    Array(posts).fill(`${setup.base}${path}`),
  )
  for (const r of sent) assert.equal(new URLSearchParams(r.body ?? '').get('token'), token)
}

describe('the hosted email pages in Chromium', () => {
  it('reset: the link from the received message, a new password typed, then a login with it', {
    timeout: 180_000,
  }, async (t) => {
    const setup = await setUp(t)
    const { base, page } = setup
    const registered = await post(base, '/register', {
      username: 'alice',
      password: PASSWORD,
      email: 'alice@example.com',
    })
    assert.equal(registered.status, 201)
    assert.equal((await post(base, '/password/forgot', { email: 'alice@example.com' })).status, 202)
    await setup.services.recovery.idle()
    const link = await receivedLink(setup, 2, 'alice@example.com', 'reset-password')
    assert.ok(link.startsWith(`${base}/reset-password#token=`), link)
    const token = tokenOf(link)

    await page.goto(link)
    const field = page.getByLabel('New password')
    await field.waitFor()
    // The script took the token out of the address bar.
    assert.equal(page.url(), `${base}/reset-password`)
    assert.equal(await field.getAttribute('autocomplete'), 'new-password')
    // A password the policy refuses: the form comes back with the rule, and the token (which
    // the server never writes into a page) is found again by the script for the next try.
    await field.fill('alice picked a password with her name')
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.getByRole('alert').getByText('Password must not contain the username.').waitFor()
    assert.equal(page.url(), `${base}/reset-password`)
    await field.fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.getByRole('heading', { name: 'Your password has been changed' }).waitFor()
    assert.equal(page.url(), `${base}/reset-password`)
    // The result page made the script forget the token.
    assert.equal(await page.evaluate('sessionStorage.length'), 0)
    assert.ok(!(await page.content()).includes(token))

    assertTokenOnlyInTheForm(setup, token, '/reset-password', 2)
    assert.deepEqual(setup.problems, [])
    assert.equal(await passwordLogin(base, 'alice', NEW_PASSWORD), 200)
    assert.equal(await passwordLogin(base, 'alice', PASSWORD), 400)
  })

  it('verify: the link from the received message, Confirm pressed, the address verified', {
    timeout: 180_000,
  }, async (t) => {
    const setup = await setUp(t)
    const { base, page } = setup
    const registered = await post(base, '/register', {
      username: 'vera',
      password: PASSWORD,
      email: 'vera@example.com',
    })
    assert.equal(registered.status, 201)
    const link = await receivedLink(setup, 1, 'vera@example.com', 'verify-email')
    const token = tokenOf(link)

    await page.goto(link)
    const confirm = page.getByRole('button', { name: 'Confirm' })
    await confirm.waitFor()
    assert.equal(page.url(), `${base}/verify-email`)
    // Opening the page verified nothing: only the button does.
    const user = await setup.services.store.users.findByEmail('vera@example.com')
    assert.equal(user?.emailVerified, false)
    await confirm.click()
    await page.getByRole('heading', { name: 'Your email address is confirmed' }).waitFor()
    assert.equal(
      (await setup.services.store.users.findByEmail('vera@example.com'))?.emailVerified,
      true,
    )
    assertTokenOnlyInTheForm(setup, token, '/verify-email', 1)
    assert.deepEqual(setup.problems, [])
  })
})
