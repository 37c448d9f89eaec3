import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { hashSecret } from '../../src/auth/clients.js'
import type { ClientRecord } from '../../src/store/store.js'
import { ISSUER, postToken, registerUser, type TestApp } from '../helpers.js'

export const REDIRECT = 'https://app.example/callback'

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url')

/** A PKCE pair (RFC 7636 §4.1, §4.2): a fresh verifier and its S256 challenge. */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: sha256(verifier) }
}

/**
 * Registers a client with redirect URIs straight in the store (the full record), public unless
 * `secret` is given; authorization_code and refresh_token by default.
 */
export async function codeClient(
  { services }: TestApp,
  overrides: Partial<ClientRecord> & { secret?: string } = {},
): Promise<ClientRecord> {
  const { secret, ...fields } = overrides
  const at = new Date(0).toISOString()
  const client: ClientRecord = {
    id: `app-${randomUUID().slice(0, 8)}`,
    name: 'Web app',
    secretHash: secret === undefined ? null : hashSecret(secret),
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['profile', 'email', 'admin'],
    introspect: false,
    registrationId: randomUUID(),
    createdAt: at,
    updatedAt: at,
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [],
    firstParty: true,
    resource: null,
    ...fields,
  }
  await services.store.clients.create(client)
  return client
}

/**
 * Signs `username` in to the provider: a browser session stored as the login page would store it
 * (the cookie's SHA-256), returned with the Cookie header that carries it.
 */
export async function browserSession(
  testApp: TestApp,
  username = 'alice',
  options: { authTime?: number; userId?: string; amr?: string[] } = {},
) {
  const { services, clock } = testApp
  const userId = options.userId ?? (await registerUser(testApp.app, username)).id
  const cookie = randomBytes(32).toString('base64url')
  const now = clock.now()
  const iso = (ms: number) => new Date(ms).toISOString()
  const session = {
    id: randomUUID(),
    secretHash: sha256(cookie),
    userId,
    authTime: iso(options.authTime ?? now),
    amr: options.amr ?? ['pwd'],
    ip: '127.0.0.1',
    userAgent: null,
    createdAt: iso(now),
    lastSeenAt: iso(now),
    idleExpiresAt: iso(now + 3600_000),
    absoluteExpiresAt: iso(now + 86400_000),
    endedAt: null,
  }
  await services.store.browserSessions.create(session)
  return { userId, session, cookie: `portcullis-session=${cookie}` }
}

/** The query of a valid authorization request for `client`, with `extra` on top. */
export function authorizeQuery(
  client: ClientRecord,
  challenge: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirectUris[0] as string,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'xyz',
    ...extra,
  }
}

/** GET /authorize with this query (a string is sent as it is), and the browser's cookie. */
export function getAuthorize(
  { app }: TestApp,
  query: Record<string, string> | string,
  cookie?: string,
) {
  const search = typeof query === 'string' ? query : new URLSearchParams(query).toString()
  return app.inject({
    method: 'GET',
    url: `/authorize?${search}`,
    headers: cookie === undefined ? {} : { cookie },
  })
}

/** A 303 to the client: its Location split into the URI before `?` and the parameters. */
export function redirected(res: LightMyRequestResponse, base = REDIRECT) {
  assert.equal(res.statusCode, 303, res.body)
  assert.equal(res.headers['cache-control'], 'no-store')
  const location = String(res.headers.location)
  assert.ok(location.startsWith(`${base}?`), location)
  const params = new URLSearchParams(location.slice(base.length + 1))
  return { location, params }
}

/** A 303 to the client with this error, and `iss` (RFC 9207) and `state` as sent. */
export function assertErrorRedirect(
  res: LightMyRequestResponse,
  error: string,
  state: string | null = 'xyz',
) {
  const { params } = redirected(res)
  assert.equal(params.get('error'), error, params.toString())
  assert.ok(params.get('error_description'))
  assert.equal(params.get('iss'), ISSUER)
  assert.equal(params.get('state'), state)
  assert.equal(params.get('code'), null)
}

/** The 400 error page: HTML under the strict CSP, never a Location. */
export function assertErrorPage(res: LightMyRequestResponse, error: string) {
  assert.equal(res.statusCode, 400, res.body)
  assert.equal(res.headers.location, undefined)
  assert.match(String(res.headers['content-type']), /^text\/html/)
  assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/)
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.ok(res.body.includes(`<code id="error-code">${error}</code>`), res.body)
}

/** Runs the flow to a code: GET /authorize with a signed-in browser; returns the code. */
export async function authorizeCode(
  testApp: TestApp,
  client: ClientRecord,
  cookie: string,
  challenge: string,
  extra: Record<string, string> = {},
) {
  const res = await getAuthorize(testApp, authorizeQuery(client, challenge, extra), cookie)
  const { params } = redirected(res, client.redirectUris[0])
  const code = params.get('code')
  assert.ok(code, res.headers.location as string)
  return code
}

/** POST /token with grant_type=authorization_code for a public client (client_id only). */
export function exchange(
  { app }: TestApp,
  client: ClientRecord,
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  return postToken(
    app,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUris[0] as string,
      code_verifier: verifier,
      client_id: client.id,
      ...extra,
    },
    headers,
  )
}
