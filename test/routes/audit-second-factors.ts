/**
 * The second-factor part of the audit walk-through (audit.test.ts): a user enrolls an
 * authenticator app, signs in through the password grant's two steps, uses a recovery code,
 * meets step-up, registers and uses a passkey, and an admin resets what is left. Everything over
 * HTTP; each step asserts its answer, the walk-through asserts the records.
 */
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import { codeAt, STEP_MS } from '../auth/mfa-support.js'
import { SoftAuthenticator } from '../auth/passkeys-authenticator.js'
import { ISSUER, PASSWORD, postToken, registerUser, type TestApp } from '../helpers.js'
import { assertError, assertNoContent, type TokenPair } from './admin-support.js'
import { authorizeQuery, codeClient, pkce, redirected } from './authorize-support.js'
import { openForm, postForm, setCookies } from './login-support.js'
import { MFA_GRANT } from './mfa-grant-support.js'

/** Who sends a request: the user agent header and the address. */
export interface Sender {
  headers: Record<string, string>
  remoteAddress: string
}

/** What the walk handed out that must never reach an audit record or the log. */
export interface WalkSecrets {
  /** Compared as substrings. */
  secrets: string[]
  /** Six-digit TOTP codes: compared as whole numbers (see `assertNoCodes`). */
  codes: string[]
}

type Send = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  token: string,
  body?: object,
) => Promise<LightMyRequestResponse>

function sender(testApp: TestApp, from: Sender): Send {
  return (method, url, token, body) =>
    testApp.app.inject({
      method,
      url,
      headers: { ...from.headers, authorization: `Bearer ${token}` },
      remoteAddress: from.remoteAddress,
      ...(body === undefined ? {} : { payload: body }),
    })
}

function json<T>(res: LightMyRequestResponse, status = 200): T {
  assert.equal(res.statusCode, status, res.body)
  return res.json() as T
}

/** POST /users/me/mfa/totp: a pending authenticator app; its secret and URI are kept. */
async function enrollTotp(send: Send, token: string, kept: WalkSecrets): Promise<string> {
  const enrolled = json<{ secret: string; otpauth_uri: string }>(
    await send('POST', '/users/me/mfa/totp', token),
  )
  kept.secrets.push(enrolled.secret, enrolled.otpauth_uri)
  return enrolled.secret
}

/** The password grant's first step for a user with a factor: 403 mfa_required and its token. */
async function firstStep(testApp: TestApp, username: string, from: Sender, kept: WalkSecrets) {
  const res = await postToken(testApp.app, { username, password: PASSWORD }, from.headers, from)
  const body = json<{ error: string; mfa_token: string }>(res, 403)
  assert.equal(body.error, 'mfa_required')
  kept.secrets.push(body.mfa_token)
  return body.mfa_token
}

/** The MFA grant (`grant_type=urn:portcullis:params:oauth:grant-type:mfa`) with `otp`. */
const secondStep = (testApp: TestApp, mfaToken: string, otp: string, from: Sender) =>
  postToken(testApp.app, { grant_type: MFA_GRANT, mfa_token: mfaToken, otp }, from.headers, from)

/**
 * The authenticator app and the password grant: an abandoned enrollment removed
 * (mfa.totp_enroll, mfa.totp_remove), an enrollment confirmed (mfa.totp_confirm), the two-step
 * grant (mfa.required, a replayed code: mfa.failure, mfa.success), a recovery code
 * (mfa.recovery_code_used), step-up refused and passed (mfa.step_up_refused,
 * mfa.recovery_codes_regenerate). Returns the multi-factor token pair.
 */
async function walkTotp(
  testApp: TestApp,
  username: string,
  from: Sender,
  kept: WalkSecrets,
): Promise<TokenPair> {
  const send = sender(testApp, from)
  const weak = json<TokenPair>(
    await postToken(testApp.app, { username, password: PASSWORD }, from.headers, from),
  )
  kept.secrets.push(weak.access_token, weak.refresh_token)
  await enrollTotp(send, weak.access_token, kept)
  // A pending enrollment is no factor yet: removing it needs no step-up.
  assertNoContent(await send('DELETE', '/users/me/mfa/totp', weak.access_token))
  const secret = await enrollTotp(send, weak.access_token, kept)
  const confirming = codeAt(testApp, secret)
  kept.codes.push(confirming)
  const { recovery_codes } = json<{ recovery_codes: string[] }>(
    await send('POST', '/users/me/mfa/totp/confirm', weak.access_token, { code: confirming }),
  )
  kept.secrets.push(...recovery_codes)
  testApp.clock.advance(STEP_MS)

  const mfaToken = await firstStep(testApp, username, from, kept)
  // The confirming code's step is spent: a replay is refused.
  assertError(await secondStep(testApp, mfaToken, confirming, from), 400, 'invalid_grant')
  const current = codeAt(testApp, secret)
  kept.codes.push(current)
  const strong = json<TokenPair>(await secondStep(testApp, mfaToken, current, from))
  kept.secrets.push(strong.access_token, strong.refresh_token)
  const recovered = json<TokenPair>(
    await secondStep(
      testApp,
      await firstStep(testApp, username, from, kept),
      recovery_codes[0] as string,
      from,
    ),
  )
  kept.secrets.push(recovered.access_token, recovered.refresh_token)

  // RFC 9470: the password-only token may not regenerate the codes; the multi-factor one may.
  const refused = await send('POST', '/users/me/mfa/recovery-codes', weak.access_token)
  assertError(refused, 401, 'insufficient_user_authentication')
  const regenerated = json<{ recovery_codes: string[] }>(
    await send('POST', '/users/me/mfa/recovery-codes', strong.access_token),
  )
  kept.secrets.push(...regenerated.recovery_codes)
  return strong
}

/**
 * The hosted login page's username-less passkey sign-in (passkey.login), then the same
 * assertion replayed (passkey.failure).
 */
async function passkeySignIn(
  testApp: TestApp,
  authenticator: SoftAuthenticator,
  from: Sender,
  kept: WalkSecrets,
) {
  const client = await codeClient(testApp)
  const query = authorizeQuery(client, pkce().challenge, { scope: 'profile' })
  const form = await openForm(testApp, `/login?${new URLSearchParams(query)}`)
  const fields = { ...form.hidden, csrf: form.csrf }
  const cookies = [form.csrfCookie]
  const post = (url: string, extra: Record<string, string> = {}) =>
    postForm(testApp, url, { ...fields, ...extra }, cookies, from.remoteAddress)
  const options = json<Parameters<SoftAuthenticator['get']>[0]>(
    await post('/login/passkey/options'),
  )
  const credential = JSON.stringify(authenticator.get(options))
  const signedIn = await post('/login/passkey', { credential })
  const { params } = redirected(signedIn, client.redirectUris[0])
  kept.secrets.push(
    params.get('code') as string,
    setCookies(signedIn).get('portcullis-session') as string,
  )
  const replayed = await post('/login/passkey', { credential })
  assert.equal(replayed.statusCode, 400, replayed.body)
  assert.equal(setCookies(replayed).get('portcullis-session'), undefined)
}

/**
 * Passkeys with a multi-factor token: registered (passkey.register), renamed (passkey.rename),
 * used to sign in and replayed (passkey.login, passkey.failure), removed (passkey.remove).
 */
async function walkPasskeys(testApp: TestApp, token: string, from: Sender, kept: WalkSecrets) {
  const send = sender(testApp, from)
  const authenticator = new SoftAuthenticator({ origin: ISSUER })
  const options = json<Parameters<SoftAuthenticator['create']>[0]>(
    await send('POST', '/users/me/passkeys/options', token),
  )
  const response = authenticator.create(options)
  const created = json<{ id: string }>(
    await send('POST', '/users/me/passkeys', token, { response, name: 'Laptop' }),
    201,
  )
  assertNoContent(await send('PATCH', `/users/me/passkeys/${created.id}`, token, { name: 'Phone' }))
  await passkeySignIn(testApp, authenticator, from, kept)
  assertNoContent(await send('DELETE', `/users/me/passkeys/${created.id}`, token))
}

/**
 * Every second-factor event over HTTP for a new user `username` sent by `user`; an admin
 * (`admin`, with their token) finally resets the user's factors (admin.user.mfa_reset, deleting
 * the authenticator app). Returns what must stay out of the records and the log.
 */
export async function walkSecondFactors(
  testApp: TestApp,
  username: string,
  user: Sender,
  admin: Sender & { token: string },
): Promise<WalkSecrets> {
  const kept: WalkSecrets = { secrets: [], codes: [] }
  const { id } = await registerUser(testApp.app, username)
  const strong = await walkTotp(testApp, username, user, kept)
  await walkPasskeys(testApp, strong.access_token, user, kept)
  assertNoContent(await sender(testApp, admin)('DELETE', `/admin/users/${id}/mfa`, admin.token))
  return kept
}

/**
 * Asserts no TOTP code appears in `text` as a number of its own. A six-digit code is too short
 * for a substring test (timestamps and hex ids hold many six-digit runs by chance); a leaked
 * code would stand alone (`"otp":"123456"`, `otp=123456`).
 */
export function assertNoCodes(text: string, codes: string[], where: string) {
  for (const code of codes) {
    const alone = new RegExp(`(?<![0-9A-Za-z.])${code}(?![0-9A-Za-z.])`)
    assert.ok(!alone.test(text), `${where} must not contain the TOTP code ${code}`)
  }
}
