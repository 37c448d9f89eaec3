import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AuditService } from '../auth/audit.js'
import type { BrowserSessions } from '../auth/browser-sessions.js'
import { type LogoutRequest, postLogoutLocation, type RpLogout } from '../auth/rp-logout.js'
import { actorOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { messagePage } from '../pages/login-page.js'
import { logoutPage, signedOutPage } from '../pages/logout-page.js'
import { formActionCsp, formPost, setUpPages, singleFields } from './login.js'
import { oidcPaths } from './server-metadata.js'

export interface LogoutRouteOptions {
  logout: RpLogout
  browserSessions: Pick<BrowserSessions, 'current' | 'end'>
  audit: Pick<AuditService, 'record'>
  productName: string
  /** The per-IP limit of the endpoint and its confirmation. */
  rateLimited: (request: FastifyRequest) => Promise<void>
  /** The issuer is https: the cookies are `__Host-` prefixed and `Secure`. */
  secureCookies: boolean
}

/** The fields the confirmation form carries: the checked request, never the ID token. */
function confirmationFields(request: LogoutRequest): Record<string, string> {
  const fields: Record<string, string> = {}
  if (request.client) fields.client_id = request.client.id
  if (request.postLogoutRedirectUri) fields.post_logout_redirect_uri = request.postLogoutRedirectUri
  if (request.postLogoutRedirectUri && request.state !== null) fields.state = request.state
  return fields
}

/**
 * The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0) at `/session/end`, GET and
 * POST (§2: both), and the confirmation's POST at `/session/end/confirm`. The first shows the
 * confirmation page for a checked request, or an error page (never a redirect) for a bad one; it
 * ends nothing. The confirmation's CSRF-checked POST ends the browser session of the cookie (and
 * the token sessions started from it), clears the cookie, and sends the browser with 303 to the
 * registered `post_logout_redirect_uri` with `state`, or shows the signed-out page. The request
 * is checked again there: a hidden field is as untrusted as a query parameter.
 */
export function logoutRoutes(options: LogoutRouteOptions): FastifyPluginAsync {
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const { productName } = options

  const refused = (reply: FastifyReply, description: string) =>
    reply.code(400).send(
      messagePage({
        productName,
        heading: 'This sign-out request cannot be used',
        message: `${description} Nothing was changed: go back to the app.`,
      }),
    )

  const confirm = async (request: FastifyRequest, reply: FastifyReply, fields: object) => {
    const checked = await options.logout.check(singleFields(fields))
    if (!checked.ok) return refused(reply, checked.description)
    const uri = checked.request.postLogoutRedirectUri
    // Chromium applies form-action to the 303 the form's POST ends in (CSP3 §6.3.3).
    if (uri !== null) reply.header('content-security-policy', formActionCsp(uri))
    return reply.send(
      logoutPage({
        productName,
        clientName: checked.request.client?.name ?? null,
        csrf: csrf.issue(request, reply),
        params: confirmationFields(checked.request),
      }),
    )
  }

  return async (app) => {
    setUpPages(app, productName)
    const endSession = oidcPaths.endSession

    const limited = { onRequest: options.rateLimited }
    const post = { ...formPost, ...limited }
    app.get(endSession, { ...limited, schema: { hide: true } }, async (request, reply) =>
      confirm(request, reply, request.query as object),
    )
    app.post(endSession, post, async (request, reply) =>
      confirm(request, reply, request.body as object),
    )

    app.post(`${endSession}/confirm`, post, async (request, reply) => {
      const fields = singleFields(request.body)
      if (!csrf.check(request, fields[csrfField])) {
        return reply.code(403).send(
          messagePage({
            productName,
            heading: 'The form was refused',
            message:
              'This form was not sent from this page, or your browser blocked its cookie. Nothing was done: go back to the app and sign out again.',
          }),
        )
      }
      const checked = await options.logout.check({
        client_id: fields.client_id,
        post_logout_redirect_uri: fields.post_logout_redirect_uri,
        state: fields.state,
      })
      if (!checked.ok) return refused(reply, checked.description)
      const login = await options.browserSessions.current(cookie.read(request))
      if (login !== null && (await options.browserSessions.end(login.session.id))) {
        await options.audit.record({
          type: 'logout',
          userId: login.user.id,
          actor: actorOf(request, login.user.id),
          detail: {
            browser_session_id: login.session.id,
            client_id: checked.request.client?.id ?? null,
          },
        })
      }
      cookie.clear(reply)
      const uri = checked.request.postLogoutRedirectUri
      if (uri === null) return reply.send(signedOutPage(productName))
      return reply
        .code(303)
        .header('location', postLogoutLocation(uri, checked.request.state))
        .send()
    })
  }
}
