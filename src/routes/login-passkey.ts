import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
} from 'fastify'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { MfaMethod } from '../auth/mfa/mfa-service.js'
import type { PasskeyLogins } from '../auth/mfa/passkey-logins.js'
import { ApiError } from '../errors.js'
import { requestMetaOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { loginPage } from '../pages/login-page.js'
import { credentialField } from '../pages/passkey-forms.js'
import { mfaTokenField } from '../pages/second-factor-page.js'
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
import { type LoginAsked, SecondStepViews } from './mfa-pages-views.js'

const notAccepted = 'The passkey was not accepted. Try again, or sign in with your password.'
const notAcceptedSecond = 'The passkey was not accepted. Try again, or enter a code.'

/** The form's fields without the credential (it is not part of the authorization request). */
function withoutCredential(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body
  const { [credentialField]: _credential, ...rest } = body as Record<string, unknown>
  return rest
}

/** The methods the second step offered (only display: the token decides what is accepted). */
function methodsOf(raw: string | undefined): MfaMethod[] {
  const said = new Set((raw ?? '').split(' '))
  return (['totp', 'recovery_code', 'passkey'] as const).filter(
    (m) => m === 'recovery_code' || m === 'passkey' || said.has(m),
  )
}

/** The credential's JSON from the form; null when it is not a JSON object. */
function credentialOf(raw: string | undefined): AuthenticationResponseJSON | null {
  if (raw === undefined || raw === '' || raw.length > 8192) return null
  try {
    const parsed: unknown = JSON.parse(raw)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as AuthenticationResponseJSON)
      : null
  } catch {
    return null
  }
}

/**
 * POST /login/passkey/options and POST /login/passkey: passkey sign-in at the hosted login page.
 * The options route (JSON, called by the page's script with the form's fields) checks the CSRF
 * value and the authorization request, then answers request options: username-less, or, with
 * the second step's `mfa_token`, the user's passkeys. The form route checks the same, verifies
 * the credential (PasskeyLogins), sets the browser-session cookie (amr of the passkey) and asks
 * the flow on with `freshLogin`, as POST /login does; a refused passkey shows the page again.
 */
export function loginPasskeyRoutes(
  options: Omit<InteractionPageOptions, 'browserSessions'> & {
    passkeyLogins: PasskeyLogins
    rateLimited: preHandlerHookHandler
    resetHref: string | null
  },
): FastifyPluginAsync {
  const { productName, authorization, passkeyLogins } = options
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const views = new SecondStepViews(productName, options.secureCookies, options.resetHref)

  const next = (reply: FastifyReply, outcome: AuthorizeOutcome) => {
    if (outcome.kind === 'consent') {
      return reply.code(303).header('location', pageHref('consent', outcome.request.params)).send()
    }
    if (outcome.kind === 'login') {
      return reply.code(303).header('location', pageHref('login', outcome.request.params)).send()
    }
    return answerOutcome(reply, outcome, productName)
  }
  const loginAgain = (request: FastifyRequest, reply: FastifyReply, asked: LoginAsked) =>
    reply
      .code(400)
      .header('content-security-policy', formActionCsp(asked.request.redirectUri))
      .send(
        loginPage({
          productName,
          clientName: asked.request.client.name,
          csrf: csrf.issue(request, reply),
          params: asked.request.params,
          resetHref: options.resetHref,
          error: notAccepted,
        }),
      )

  return async (app) => {
    // The options: JSON for the script, errors in the API's shape (not pages).
    await app.register(async (api) => {
      api.post(
        '/login/passkey/options',
        { ...formPost, preHandler: options.rateLimited },
        async (request, reply) => {
          const fields = singleFields(request.body)
          if (!csrf.check(request, fields[csrfField])) {
            throw new ApiError('access_denied', 'the form was not sent from this page')
          }
          const params = requestParams(withoutCredential(request.body))
          const asked = await authorization.authorize(
            params,
            null,
            undefined,
            requestMetaOf(request),
          )
          if (asked.kind !== 'login') {
            throw new ApiError('invalid_request', 'this sign-in is over: reload the page')
          }
          const mfaToken = fields[mfaTokenField] ?? null
          const answer = await passkeyLogins.options(mfaToken, asked.request.client.id)
          if (answer === null) {
            throw new ApiError('invalid_request', 'this sign-in expired: sign in again')
          }
          return reply.header('cache-control', 'no-store').send(answer)
        },
      )
    })

    await app.register(async (pages) => {
      setUpPages(pages, productName)
      pages.post(
        '/login/passkey',
        { ...formPost, preHandler: options.rateLimited },
        async (request, reply) => {
          const fields = singleFields(request.body)
          if (!csrf.check(request, fields[csrfField])) return refusedForm(reply, productName)
          const params = requestParams(withoutCredential(request.body))
          const meta = requestMetaOf(request)
          const asked = await authorization.authorize(params, null, undefined, meta)
          if (asked.kind !== 'login') return next(reply, asked)
          const context = {
            ip: request.ip,
            userAgent: meta.userAgent,
            clientId: asked.request.client.id,
          }
          const credential = credentialOf(fields[credentialField])
          const mfaToken = fields[mfaTokenField]
          const outcome =
            credential === null
              ? ({ ok: false, reason: 'refused' } as const)
              : mfaToken === undefined
                ? await passkeyLogins.signIn(credential, context)
                : await passkeyLogins.secondFactor(mfaToken, credential, context)
          if (!outcome.ok) {
            if (mfaToken === undefined) return loginAgain(request, reply, asked)
            if (outcome.reason === 'expired') return views.startAgain(request, reply, asked)
            const methods = methodsOf(fields.methods)
            return views.secondFactor(
              request,
              reply.code(400),
              asked,
              mfaToken,
              methods,
              notAcceptedSecond,
            )
          }
          cookie.set(reply, outcome.cookie)
          const fresh = { freshLogin: true } as const
          return next(reply, await authorization.authorize(params, outcome.login, fresh, meta))
        },
      )
    })
  }
}
