import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthorizationFlow } from '../auth/authorization/flow.js'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { RawParams } from '../auth/authorization/request.js'
import type { BrowserSessions } from '../auth/browser-sessions.js'
import { requestMetaOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { requireContentType } from '../http/content-type.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { DeviceCookie } from '../http/device-cookie.js'
import { authBodyLimit } from '../http/limits.js'
import { htmlPageCsp, htmlPageHeaders } from '../http/page-headers.js'
import { authorizeErrorPage } from '../pages/authorize-error-page.js'
import { loginPage, messagePage, waitInWords } from '../pages/login-page.js'
import { mfaTokenField } from '../pages/second-factor-page.js'
import { pageErrorHandler } from './email-pages.js'
import { SecondStepViews } from './mfa-pages-views.js'

/** What the login and consent pages use. */
export interface InteractionPageOptions {
  authorization: Pick<AuthorizationFlow, 'authorize'>
  browserSessions: Pick<
    BrowserSessions,
    'login' | 'current' | 'completeSecondFactor' | 'beginEnrollment' | 'justSignedIn'
  >
  productName: string
  /** The issuer is https: the cookies are `__Host-` prefixed and `Secure`. */
  secureCookies: boolean
}

/** A query's or form's fields that arrived once each as text; one sent twice counts as absent. */
export function singleFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {}
  if (!body || typeof body !== 'object') return fields
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') fields[name] = value
  }
  return fields
}

/** The form's or query's parameters without the page's own fields (credentials, CSRF, decision). */
export function requestParams(raw: unknown): RawParams {
  const params: Record<string, string | readonly string[]> = {}
  if (!raw || typeof raw !== 'object') return params
  for (const [name, value] of Object.entries(raw)) {
    if (ownFields.has(name)) continue
    // A repeated parameter stays an array: the flow refuses it (RFC 6749 §3.1).
    if (typeof value === 'string' || Array.isArray(value)) params[name] = value
  }
  return params
}
const ownFields = new Set([
  'username',
  'password',
  csrfField,
  'decision',
  // The second step's own fields (src/routes/mfa-pages.ts).
  mfaTokenField,
  'code',
  'methods',
  'session',
])

/** A relative address of a page with these parameters (resolved against this page). */
export function pageHref(page: 'login' | 'consent', params: RawParams): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    for (const one of typeof value === 'string' ? [value] : (value ?? [])) search.append(name, one)
  }
  return `${page}?${search.toString()}`
}

/**
 * The page's CSP with the client's redirect origin added to `form-action`: Chromium applies
 * `form-action` to every redirect a form submission follows (CSP3 §6.3.3), so without it the
 * 303 back to the client after a login or consent would be blocked. A redirect URI without a
 * web origin (a native app's private scheme) is allowed by its scheme.
 */
export function formActionCsp(redirectUri: string): string {
  const url = new URL(redirectUri)
  const source = url.origin === 'null' ? url.protocol : url.origin
  return htmlPageCsp.replace("form-action 'self'", `form-action 'self' ${source}`)
}

/** Every page's headers (strict CSP, never framed) and its error handler (errors as pages). */
export function setUpPages(app: FastifyInstance, productName: string): void {
  app.addHook('onRequest', async (_request, reply) => {
    htmlPageHeaders(reply)
  })
  app.setErrorHandler(
    pageErrorHandler(
      productName,
      'The request could not be read. Go back to the app and sign in again.',
    ),
  )
}

/** The options of a form post: a small url-encoded body; not part of the API document. */
export const formPost = {
  bodyLimit: authBodyLimit,
  preValidation: requireContentType('application/x-www-form-urlencoded'),
  schema: { hide: true },
}

/**
 * Answers an outcome of the flow that needs no page of the route's own: a redirect (303: the
 * browser follows with GET, RFC 9110 §15.4.4), the next page of the interaction, or the error
 * page (never a redirect: the client or its redirect URI could not be trusted).
 */
export function answerOutcome(
  reply: FastifyReply,
  outcome: Exclude<AuthorizeOutcome, { kind: 'login' } | { kind: 'consent' }>,
  productName: string,
): FastifyReply {
  if (outcome.kind === 'redirect')
    return reply.code(303).header('location', outcome.location).send()
  return reply.code(400).send(authorizeErrorPage(productName, outcome.error))
}

/** 403: a form posted without the page's CSRF cookie or with another value. Nothing was done. */
export function refusedForm(reply: FastifyReply, productName: string): FastifyReply {
  return reply.code(403).send(
    messagePage({
      productName,
      heading: 'The form was refused',
      message:
        'This form was not sent from this page, or your browser blocked its cookie. Nothing was done: go back to the app and sign in again.',
    }),
  )
}

const wrongCredentials = 'Wrong username or password.'

/**
 * GET and POST /login: the hosted login page of the authorization code flow. GET asks the flow
 * (with the browser session, if any) what to do and shows the form only when a login is due;
 * POST checks the CSRF value first, then signs in through `BrowserSessions.login` (the password
 * grant's own throttle, check and audit), sets the browser-session cookie and asks the flow
 * again with `freshLogin`. Every answer is an HTML page or a 303; none is part of the API.
 */
export function loginRoutes(
  options: InteractionPageOptions & { resetHref: string | null },
): FastifyPluginAsync {
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const device = new DeviceCookie(options.secureCookies)
  const { productName, authorization } = options
  const secondStep = new SecondStepViews(productName, options.secureCookies, options.resetHref)

  const form = (
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: Extract<AuthorizeOutcome, { kind: 'login' }>,
    extra: { username?: string | undefined; error?: string } = {},
  ) =>
    reply.header('content-security-policy', formActionCsp(outcome.request.redirectUri)).send(
      loginPage({
        productName,
        clientName: outcome.request.client.name,
        csrf: csrf.issue(request, reply),
        params: outcome.request.params,
        resetHref: options.resetHref,
        username: extra.username ?? outcome.request.loginHint ?? undefined,
        error: extra.error,
      }),
    )
  const next = (request: FastifyRequest, reply: FastifyReply, outcome: AuthorizeOutcome) => {
    if (outcome.kind === 'login') return form(request, reply, outcome)
    if (outcome.kind === 'consent') {
      return reply.code(303).header('location', pageHref('consent', outcome.request.params)).send()
    }
    return answerOutcome(reply, outcome, productName)
  }

  return async (app) => {
    setUpPages(app, productName)

    app.get('/login', { schema: { hide: true } }, async (request, reply) => {
      const params = requestParams(request.query)
      const browser = await options.browserSessions.current(cookie.read(request))
      const meta = requestMetaOf(request)
      return next(request, reply, await authorization.authorize(params, browser, undefined, meta))
    })

    app.post('/login', formPost, async (request, reply) => {
      const fields = singleFields(request.body)
      if (!csrf.check(request, fields[csrfField])) return refusedForm(reply, productName)
      const params = requestParams(request.body)
      const meta = requestMetaOf(request)
      // The request is checked before any password work: a login for a request that cannot
      // succeed (unknown client, bad redirect URI) is never attempted.
      const asked = await authorization.authorize(params, null, undefined, meta)
      if (asked.kind !== 'login') return next(request, reply, asked)
      const username = fields.username ?? ''
      const password = fields.password ?? ''
      if (username === '' || password === '') {
        return form(request, reply.code(400), asked, {
          username,
          error: 'Enter your username or email and your password.',
        })
      }
      const outcome = await options.browserSessions.login(username, password, {
        ip: request.ip,
        userAgent: meta.userAgent,
        clientId: asked.request.client.id,
        deviceToken: device.read(request),
        scope: asked.request.scopes.join(' '),
        resource: asked.request.resource,
      })
      if ('deviceToken' in outcome && outcome.deviceToken !== undefined) {
        device.set(reply, outcome.deviceToken)
      }
      if (!outcome.ok && (outcome.reason === 'second_factor' || outcome.reason === 'enroll')) {
        // No browser session yet: the password's proof goes on to the second step's form.
        if (outcome.reason === 'second_factor') {
          return secondStep.secondFactor(request, reply, asked, outcome.mfaToken, outcome.methods)
        }
        const offer = await options.browserSessions.beginEnrollment(outcome.mfaToken, {
          ip: request.ip,
          userAgent: meta.userAgent,
          clientId: asked.request.client.id,
        })
        if (offer === null) return secondStep.startAgain(request, reply, asked)
        return secondStep.enroll(request, reply, asked, outcome.mfaToken, offer)
      }
      if (!outcome.ok) {
        if (outcome.reason === 'throttled') {
          const wait = outcome.retryAfterSeconds ?? 60
          return reply
            .code(429)
            .header('retry-after', String(wait))
            .send(
              messagePage({
                productName,
                heading: 'Too many attempts',
                message: `Too many failed sign-ins. Wait ${waitInWords(wait)}, then go back and try again.`,
              }),
            )
        }
        const error =
          outcome.reason === 'email_not_verified'
            ? 'Confirm your email address before signing in: follow the link we sent you.'
            : wrongCredentials
        return form(request, reply.code(400), asked, { username, error })
      }
      cookie.set(reply, outcome.cookie)
      const fresh = { freshLogin: true } as const
      return next(request, reply, await authorization.authorize(params, outcome.login, fresh, meta))
    })
  }
}
