import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RequestMeta } from '../auth/audit.js'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { RawParams } from '../auth/authorization/request.js'
import type {
  BrowserSessions,
  SecondStepOutcome,
  SecondStepRefusal,
} from '../auth/browser-sessions.js'
import type { MfaMethod } from '../auth/mfa/mfa-service.js'
import { requestMetaOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { messagePage, waitInWords } from '../pages/login-page.js'
import { mfaTokenField } from '../pages/second-factor-page.js'
import {
  answerOutcome,
  formPost,
  type InteractionPageOptions,
  pageHref,
  refusedForm,
  requestParams,
  setUpPages,
  singleFields,
} from './login.js'
import { type LoginAsked, SecondStepViews, wrongCode } from './mfa-pages-views.js'

/** What the second-step pages use of the browser sessions. */
export type SecondStepSessions = Pick<
  BrowserSessions,
  'current' | 'completeSecondFactor' | 'beginEnrollment' | 'justSignedIn'
>

const methodNames: readonly MfaMethod[] = ['totp', 'recovery_code', 'passkey']
/** The methods a form says it offered, the known ones only (recovery codes always). */
function knownMethods(raw: string | undefined): MfaMethod[] {
  const said = new Set((raw ?? '').split(' '))
  return methodNames.filter((m) => m === 'recovery_code' || said.has(m))
}

/** 429 after too many wrong second factors, as after too many wrong passwords. */
function throttledPage(reply: FastifyReply, productName: string, wait: number): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(wait))
    .send(
      messagePage({
        productName,
        heading: 'Too many attempts',
        message: `Too many wrong codes. Wait ${waitInWords(wait)}, then go back and try again.`,
      }),
    )
}

/**
 * POST /login-mfa, /login-mfa-enroll and /login-mfa-continue: the second step of a sign-in at
 * the hosted page. Each checks the CSRF value first and the authorization request second (as
 * POST /login), then the step's token through BrowserSessions (MfaLogins: its throttle, attempt
 * limit and audit). A right code sets the browser-session cookie (amr of the sign-in) and asks
 * the flow on with `freshLogin`; a wrong one shows the same form with one message; a spent or
 * expired token shows the login form again.
 */
export function mfaPageRoutes(
  options: Omit<InteractionPageOptions, 'browserSessions'> & {
    browserSessions: SecondStepSessions
    resetHref: string | null
  },
): FastifyPluginAsync {
  const { productName, authorization, browserSessions } = options
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const views = new SecondStepViews(productName, options.secureCookies, options.resetHref)

  /** The checked form: its fields, the request's outcome (a login is due) and its context. */
  const readForm = async (request: FastifyRequest, reply: FastifyReply) => {
    const fields = singleFields(request.body)
    if (!csrf.check(request, fields[csrfField])) return { done: refusedForm(reply, productName) }
    const params = requestParams(request.body)
    const meta = requestMetaOf(request)
    const asked = await authorization.authorize(params, null, undefined, meta)
    if (asked.kind !== 'login') return { done: answer(request, reply, asked) }
    const context = { ip: request.ip, userAgent: meta.userAgent, clientId: asked.request.client.id }
    return { fields, params, meta, asked, context }
  }
  const answer = (request: FastifyRequest, reply: FastifyReply, outcome: AuthorizeOutcome) => {
    if (outcome.kind === 'login') {
      return views.loginForm(request, reply, outcome)
    }
    if (outcome.kind === 'consent') {
      return reply.code(303).header('location', pageHref('consent', outcome.request.params)).send()
    }
    return answerOutcome(reply, outcome, productName)
  }
  /**
   * Sets the new session's cookie; after an enrollment shows its recovery codes once (then
   * "Continue"), else asks the flow on with `freshLogin`.
   */
  const signedIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { params: RawParams; meta: RequestMeta; asked: LoginAsked },
    outcome: Extract<SecondStepOutcome, { ok: true }>,
  ) => {
    cookie.set(reply, outcome.cookie)
    if (outcome.recoveryCodes !== undefined) {
      const sessionId = outcome.login.session.id
      return views.recoveryCodes(request, reply, form.asked, sessionId, outcome.recoveryCodes)
    }
    const fresh = { freshLogin: true } as const
    const next = await authorization.authorize(form.params, outcome.login, fresh, form.meta)
    return answer(request, reply, next)
  }
  const refused = (
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    refusal: SecondStepRefusal,
    again: () => FastifyReply,
  ) => {
    if (refusal.reason === 'throttled') {
      return throttledPage(reply, productName, refusal.retryAfterSeconds)
    }
    if (refusal.reason === 'expired') return views.startAgain(request, reply, asked)
    return again()
  }

  return async (app) => {
    setUpPages(app, productName)

    app.post('/login-mfa', formPost, async (request, reply) => {
      const form = await readForm(request, reply)
      if ('done' in form) return form.done
      const { fields, params, meta, asked, context } = form
      const mfaToken = fields[mfaTokenField] ?? ''
      const code = (fields.code ?? '').trim()
      // Which forms to show again: only display, the token decides what is accepted.
      const methods = knownMethods(fields.methods)
      if (mfaToken === '') return views.startAgain(request, reply, asked)
      if (code === '') {
        return views.secondFactor(request, reply.code(400), asked, mfaToken, methods, wrongCode)
      }
      const outcome = await browserSessions.completeSecondFactor(mfaToken, code, context)
      if (!outcome.ok) {
        return refused(request, reply, asked, outcome, () =>
          views.secondFactor(request, reply.code(400), asked, mfaToken, methods, wrongCode),
        )
      }
      cookie.set(reply, outcome.cookie)
      const fresh = { freshLogin: true } as const
      return answer(
        request,
        reply,
        await authorization.authorize(params, outcome.login, fresh, meta),
      )
    })

    app.post('/login-mfa-enroll', formPost, async (request, reply) => {
      const form = await readForm(request, reply)
      if ('done' in form) return form.done
      const { fields, asked, context } = form
      const mfaToken = fields[mfaTokenField] ?? ''
      const code = (fields.code ?? '').trim()
      if (mfaToken === '') return views.startAgain(request, reply, asked)
      if (code === '')
        return views.enroll(request, reply.code(400), asked, mfaToken, null, wrongCode)
      const outcome = await browserSessions.completeSecondFactor(mfaToken, code, context)
      if (!outcome.ok) {
        return refused(request, reply, asked, outcome, () =>
          views.enroll(request, reply.code(400), asked, mfaToken, null, wrongCode),
        )
      }
      return signedIn(request, reply, form, outcome)
    })

    app.post('/login-mfa-continue', formPost, async (request, reply) => {
      const form = await readForm(request, reply)
      if ('done' in form) return form.done
      const { fields, params, meta } = form
      const login = await browserSessions.justSignedIn(cookie.read(request), fields.session ?? '')
      if (login !== null) {
        const fresh = { freshLogin: true } as const
        return answer(request, reply, await authorization.authorize(params, login, fresh, meta))
      }
      // Not the session just started: the flow decides as for any visit (it may ask to log in).
      const browser = await browserSessions.current(cookie.read(request))
      return answer(request, reply, await authorization.authorize(params, browser, undefined, meta))
    })
  }
}
