// The full authorization code flow as a browser and its web app run it, driven from Node (wrk
// and autocannon replay one request; they cannot follow a multi-step flow with cookies, a
// form and a code): GET /authorize → 303 /login → GET /login → POST /login → 303 (through
// /authorize again when the page sends it there) → the redirect URI with a code → POST /token
// with the PKCE verifier. Each flow is a new browser (no cookies), so every flow checks a
// password: the same argon2id work as one password-grant login, which the same driver measures
// beside it at the same concurrency for a fair comparison.
import { createHash, randomBytes } from 'node:crypto'
import { Parser } from 'htmlparser2'
import { docsClientId, docsRedirectUri } from '../src/auth/docs-client.js'
import type { LoadSummary } from './load-job.js'
import { quantile } from './stats.js'
import { type BenchUser, loginForm } from './users.js'

/** What a driven load measured: the LoadSummary shape, so the report's tables take it. */
export type FlowSummary = LoadSummary

const base64url = (bytes: Buffer) => bytes.toString('base64url')

/** The cookies one simulated browser holds (name → value; paths and expiry do not matter here). */
class CookieJar {
  private readonly cookies = new Map<string, string>()
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      if (at > 0) this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

/** The login form of a page: its action and fields, the password and username fields by `autocomplete`. */
function loginFormOf(html: string) {
  let action: string | undefined
  let inForm = false
  const fields: [string, string][] = []
  let usernameField: string | undefined
  let passwordField: string | undefined
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'form' && attributes.method?.toLowerCase() === 'post' && !passwordField) {
        inForm = true
        action = attributes.action ?? ''
        fields.length = 0
      } else if (inForm && name === 'input' && attributes.name) {
        if (attributes.autocomplete === 'current-password') passwordField = attributes.name
        else if (attributes.autocomplete === 'username') usernameField = attributes.name
        else if (attributes.type !== 'checkbox')
          fields.push([attributes.name, attributes.value ?? ''])
      }
    },
    onclosetag(name) {
      if (name === 'form') inForm = false
    },
  })
  parser.end(html)
  if (action === undefined || !usernameField || !passwordField) {
    throw new Error('the login page has no POST form with username and current-password fields')
  }
  return { action, fields, usernameField, passwordField }
}

/** One complete code flow for `user`; throws with the step that went wrong. */
async function oneFlow(baseUrl: string, user: BenchUser, scope: string): Promise<void> {
  const redirectUri = docsRedirectUri(baseUrl)
  const verifier = base64url(randomBytes(32))
  const challenge = base64url(createHash('sha256').update(verifier).digest())
  const authorize = new URL('/authorize', baseUrl)
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: docsClientId,
    redirect_uri: redirectUri,
    scope,
    state: base64url(randomBytes(16)),
    nonce: base64url(randomBytes(16)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString()
  const jar = new CookieJar()
  const step = async (url: URL, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    })
    jar.take(response)
    return response
  }
  // Follows redirects within Portcullis until one leaves for the redirect URI; returns it.
  const follow = async (response: Response): Promise<URL> => {
    for (let hops = 0; hops < 5; hops++) {
      const location = response.headers.get('location')
      if (response.status !== 303 && response.status !== 302) {
        throw new Error(`expected a redirect, got ${response.status}: ${await response.text()}`)
      }
      if (!location) throw new Error('a redirect without Location')
      const next = new URL(location, baseUrl)
      if (next.href.startsWith(`${redirectUri}?`)) return next
      if (next.pathname === '/login') return next
      await response.arrayBuffer()
      response = await step(next)
    }
    throw new Error('too many redirects')
  }
  const toLogin = await follow(await step(authorize))
  if (toLogin.pathname !== '/login') throw new Error(`/authorize sent the browser to ${toLogin}`)
  const page = await step(toLogin)
  if (page.status !== 200) throw new Error(`GET /login answered ${page.status}`)
  const form = loginFormOf(await page.text())
  const body = new URLSearchParams(form.fields)
  body.set(form.usernameField, user.username)
  body.set(form.passwordField, user.password)
  const posted = await step(new URL(form.action || toLogin.href, toLogin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
    body: body.toString(),
  })
  const back = await follow(posted)
  const code = back.searchParams.get('code')
  if (!back.href.startsWith(`${redirectUri}?`) || !code) throw new Error(`no code: ${back}`)
  const token = await fetch(new URL('/token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: docsClientId,
      code_verifier: verifier,
    }).toString(),
  })
  const tokens = (await token.json()) as { access_token?: string }
  if (token.status !== 200 || !tokens.access_token) {
    throw new Error(`POST /token answered ${token.status}: ${JSON.stringify(tokens)}`)
  }
}

/** One password-grant login, by the same driver. */
async function onePasswordLogin(baseUrl: string, user: BenchUser): Promise<void> {
  const response = await fetch(new URL('/token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: loginForm(user),
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`POST /token answered ${response.status}`)
}

/**
 * Runs `connections` workers, each repeating `task` for `durationSeconds` (a bounded run);
 * counts completed tasks per second, their latencies, and failures (never retried).
 */
async function drive(
  connections: number,
  durationSeconds: number,
  users: BenchUser[],
  task: (user: BenchUser) => Promise<void>,
): Promise<FlowSummary> {
  const latencies: number[] = []
  let failures = 0
  let firstError: string | undefined
  let next = 0
  const start = performance.now()
  const deadline = start + durationSeconds * 1000
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const user = users[next++ % users.length]
        if (!user) return
        const began = performance.now()
        try {
          await task(user)
          latencies.push(performance.now() - began)
        } catch (error) {
          failures++
          firstError ??= error instanceof Error ? error.message : String(error)
        }
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  if (firstError) console.error(`bench: ${failures} failed flows; the first: ${firstError}`)
  latencies.sort((a, b) => a - b)
  return {
    requestsPerSecond: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    total: latencies.length + failures,
    ok2xx: latencies.length,
    non2xx: failures,
    errors: 0,
    timeouts: 0,
    durationSeconds: seconds,
    statusCodes: {},
  }
}

/**
 * The full code flow (through the built-in docs client, public, first-party: no consent step),
 * with `openid` by default, so each flow also signs an ID token as a web app's sign-in does.
 */
export const driveCodeFlow = (
  baseUrl: string,
  connections: number,
  seconds: number,
  users: BenchUser[],
  scope = 'openid profile',
) => drive(connections, seconds, users, (user) => oneFlow(baseUrl, user, scope))

/** The password grant through the same driver. */
export const drivePasswordGrant = (
  baseUrl: string,
  connections: number,
  seconds: number,
  users: BenchUser[],
) => drive(connections, seconds, users, (user) => onePasswordLogin(baseUrl, user))
