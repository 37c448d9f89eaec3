import assert from 'node:assert/strict'
import type { Element } from 'domhandler'
import { findAll } from 'domutils'
import type { LightMyRequestResponse } from 'fastify'
import { decodeJwt } from 'jose'
import { PASSWORD, type TestApp } from '../helpers.js'
import { attr, type HtmlPage, parsePage } from '../support/html-page.js'
import { authorizeQuery, codeClient, exchange, pkce, redirected } from './authorize-support.js'
import { type FormPage, openForm, postForm, setCookieLine } from './login-support.js'

/** A client and the login page of an OpenID Connect request for a code. */
export async function openLogin(testApp: TestApp, extra: Record<string, string> = {}) {
  const client = await codeClient(testApp)
  const { verifier, challenge } = pkce()
  const query = authorizeQuery(client, challenge, {
    scope: 'openid profile',
    nonce: 'n-1',
    ...extra,
  })
  const form = await openForm(testApp, `/login?${new URLSearchParams(query)}`)
  return { client, verifier, query, form }
}

/** POSTs the login form with `username` and the right password. */
export function submitPassword(testApp: TestApp, form: FormPage, username: string) {
  return postForm(
    testApp,
    '/login',
    { ...form.hidden, csrf: form.csrf, username, password: PASSWORD },
    [form.csrfCookie],
  )
}

/** A second-step page: its forms' hidden fields (token, request, CSRF) and the page. */
export interface StepPage {
  res: LightMyRequestResponse
  page: HtmlPage
  /** The hidden fields of the page's first form, the CSRF value among them. */
  fields: Record<string, string>
}

/** Reads the hidden fields of the first form of a page answered with `status`. */
export function stepPage(res: LightMyRequestResponse, status = 200): StepPage {
  assert.equal(res.statusCode, status, res.body)
  assert.equal(res.headers.location, undefined)
  const page = parsePage(res.body)
  const form = page.one((e) => e.name === 'form')
  const fields: Record<string, string> = {}
  const hidden = (e: Element) => e.name === 'input' && attr(e, 'type') === 'hidden'
  for (const input of findAll(hidden, form.children)) {
    fields[attr(input, 'name') as string] = attr(input, 'value') ?? ''
  }
  return { res, page, fields }
}

/** POSTs a second-step form (`action`) with its hidden fields, `extra` and the CSRF cookie. */
export function postStep(
  testApp: TestApp,
  action: 'login-mfa' | 'login-mfa-enroll' | 'login-mfa-continue',
  step: StepPage,
  csrfCookie: string,
  extra: Record<string, string> = {},
  cookies: readonly string[] = [],
) {
  return postForm(testApp, `/${action}`, { ...step.fields, ...extra }, [csrfCookie, ...cookies])
}

/** The `name=value` of the browser-session cookie a response sets, or undefined. */
export const sessionCookie = (res: LightMyRequestResponse) =>
  setCookieLine(res, 'portcullis-session')?.split(';')[0]

/** Exchanges the code of a redirect to the client; returns both tokens' claims and the body. */
export async function tokensOf(
  testApp: TestApp,
  res: LightMyRequestResponse,
  client: { id: string; redirectUris: string[] },
  verifier: string,
) {
  const code = redirected(res).params.get('code')
  assert.ok(code, String(res.headers.location))
  const token = await exchange(testApp, client as never, code, verifier)
  assert.equal(token.statusCode, 200, token.body)
  const body = token.json() as { access_token: string; id_token: string; refresh_token?: string }
  return { body, access: decodeJwt(body.access_token), id: decodeJwt(body.id_token) }
}
