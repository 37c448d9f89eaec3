import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from '../helpers.js'
import { attr, type HtmlPage, parsePage } from '../support/html-page.js'

export const FORM = 'application/x-www-form-urlencoded'

/** The `name=value` pairs a response sets (its Set-Cookie headers, attributes dropped). */
export function setCookies(res: LightMyRequestResponse): Map<string, string> {
  const raw = res.headers['set-cookie']
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  return new Map(
    list.map((line) => {
      const pair = line.split(';')[0] as string
      const at = pair.indexOf('=')
      return [pair.slice(0, at), pair.slice(at + 1)]
    }),
  )
}

/** The whole Set-Cookie line of cookie `name`, or undefined. */
export function setCookieLine(res: LightMyRequestResponse, name: string): string | undefined {
  const raw = res.headers['set-cookie']
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  return list.find((line) => line.startsWith(`${name}=`))
}

/** A page with a form: its CSRF cookie (`name=value`), its CSRF field and its hidden fields. */
export interface FormPage {
  res: LightMyRequestResponse
  page: HtmlPage
  csrfCookie: string
  csrf: string
  /** The hidden fields but the CSRF one: the authorization request it carries. */
  hidden: Record<string, string>
}

/** GETs a page with a form (asserting 200) and reads its form state. */
export async function openForm(
  { app }: TestApp,
  url: string,
  cookie?: string,
  csrfName = 'portcullis-csrf',
): Promise<FormPage> {
  const res = await app.inject({ url, headers: cookie ? { cookie } : {} })
  assert.equal(res.statusCode, 200, `${res.statusCode} ${String(res.headers.location)} ${res.body}`)
  const page = parsePage(res.body)
  const value = setCookies(res).get(csrfName)
  assert.ok(value, 'the page sets its CSRF cookie')
  const hidden: Record<string, string> = {}
  for (const input of page.all((e) => e.name === 'input' && attr(e, 'type') === 'hidden')) {
    const name = attr(input, 'name') as string
    if (name !== 'csrf') hidden[name] = attr(input, 'value') ?? ''
  }
  return {
    res,
    page,
    csrfCookie: `${csrfName}=${value}`,
    csrf: attr(page.input('csrf'), 'value') as string,
    hidden,
  }
}

/** POSTs a form (url-encoded) with these cookies (joined) from `remoteAddress`. */
export function postForm(
  { app }: TestApp,
  url: string,
  fields: Record<string, string>,
  cookies: readonly string[],
  remoteAddress?: string,
) {
  return app.inject({
    method: 'POST',
    url,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
    headers: {
      'content-type': FORM,
      ...(cookies.length > 0 ? { cookie: cookies.join('; ') } : {}),
    },
    payload: new URLSearchParams(fields).toString(),
  })
}

/** The strict CSP of the hosted pages, with `form-action` also allowing `origin`. */
export const pageCsp = (origin: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self' ${origin}; base-uri 'none'; frame-ancestors 'none'`

/** The headers every hosted page carries. */
export function assertPageHeaders(res: LightMyRequestResponse, origin?: string) {
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.equal(
    res.headers['content-security-policy'],
    origin === undefined
      ? "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
      : pageCsp(origin),
  )
  assert.equal(res.headers['x-frame-options'], 'DENY')
  assert.equal(res.headers['cache-control'], 'no-store')
}

/** The query of a 303's relative or absolute Location to `page` (`/login`, `/consent`). */
export function redirectedTo(res: LightMyRequestResponse, page: 'login' | 'consent') {
  assert.equal(res.statusCode, 303, res.body)
  const location = new URL(String(res.headers.location), 'http://portcullis.test/login')
  assert.equal(location.pathname, `/${page}`, String(res.headers.location))
  return Object.fromEntries(location.searchParams)
}
