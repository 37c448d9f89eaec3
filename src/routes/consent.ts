import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { RawParams } from '../auth/authorization/request.js'
import { requestMetaOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { consentPage } from '../pages/consent-page.js'
import { messagePage } from '../pages/login-page.js'
import {
  answerOutcome,
  formActionCsp,
  formPost,
  type InteractionPageOptions,
  pageHref,
  refusedForm,
  requestParams,
  setUpPages,
  singleFields,
} from './login.js'

/**
 * GET and POST /consent: the consent page of a client that is not first-party (OpenID Connect
 * Core §3.1.2.4). It needs a browser session (without one, the browser goes to the login page
 * with the same request); GET shows which client asks for which scopes, and the form's Allow or
 * Deny (CSRF-checked first) goes to the flow, which remembers an Allow and redirects to the
 * client with a code, or with `access_denied` after a Deny.
 */
export function consentRoutes(options: InteractionPageOptions): FastifyPluginAsync {
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const { productName } = options

  const next = (
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: AuthorizeOutcome,
    username: string,
  ) => {
    if (outcome.kind === 'login') {
      return reply.code(303).header('location', pageHref('login', outcome.request.params)).send()
    }
    if (outcome.kind !== 'consent') return answerOutcome(reply, outcome, productName)
    const { request: asked } = outcome
    return reply.header('content-security-policy', formActionCsp(asked.redirectUri)).send(
      consentPage({
        productName,
        clientName: asked.client.name,
        username,
        scopes: outcome.scopes,
        csrf: csrf.issue(request, reply),
        params: asked.params,
      }),
    )
  }

  const toLogin = (reply: FastifyReply, params: RawParams) =>
    reply.code(303).header('location', pageHref('login', params)).send()

  return async (app) => {
    setUpPages(app, productName)

    app.get('/consent', { schema: { hide: true } }, async (request, reply) => {
      const params = requestParams(request.query)
      const browser = await options.browserSessions.current(cookie.read(request))
      if (browser === null) return toLogin(reply, params)
      const meta = requestMetaOf(request)
      const outcome = await options.authorization.authorize(params, browser, undefined, meta)
      return next(request, reply, outcome, browser.user.username)
    })

    app.post('/consent', formPost, async (request, reply) => {
      const fields = singleFields(request.body)
      if (!csrf.check(request, fields[csrfField])) return refusedForm(reply, productName)
      const params = requestParams(request.body)
      const browser = await options.browserSessions.current(cookie.read(request))
      if (browser === null) return toLogin(reply, params)
      const decision = fields.decision
      if (decision !== 'allow' && decision !== 'deny') {
        return reply.code(400).send(
          messagePage({
            productName,
            heading: 'Choose Allow or Deny',
            message:
              'The form did not say whether you allow this app. Go back and press Allow or Deny.',
          }),
        )
      }
      const meta = requestMetaOf(request)
      const outcome = await options.authorization.authorize(
        params,
        browser,
        { consent: decision },
        meta,
      )
      return next(request, reply, outcome, browser.user.username)
    })
  }
}
