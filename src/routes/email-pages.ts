import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RequestMeta } from '../auth/audit.js'
import { ApiError } from '../errors.js'
import { requestMetaOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { authBodyLimit } from '../http/limits.js'
import { htmlPageHeaders } from '../http/page-headers.js'
import { resetPasswordPage, resultPage, verifyEmailPage } from '../pages/email-pages.js'
import { StoreUnavailableError } from '../store/store.js'

/** What the pages complete: the services behind `POST /password/reset` and `POST /email/verify`. */
export interface EmailPageFlows {
  recovery: { reset(token: string, newPassword: string, meta: RequestMeta): Promise<void> }
  verification: { verify(token: string, meta: RequestMeta): Promise<void> }
}

export interface EmailPageOptions extends EmailPageFlows {
  productName: string
  /** The password policy's minimum, for the field's `minlength`. */
  passwordMinLength: number
  /** The server is reached over https: the CSRF cookie is `__Host-` and `Secure`. */
  secureCookies: boolean
  /** The per-IP limit of the form posts. */
  rateLimited: (request: FastifyRequest) => Promise<void>
}

/** A form's fields that arrived once each as text; a field sent twice counts as absent. */
export function formFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {}
  if (!body || typeof body !== 'object') return fields
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') fields[name] = value
  }
  return fields
}

/** The longest token the JSON endpoints accept; a longer one cannot be any link's. */
const maxTokenLength = 256

/** The form's token, or null when it cannot be a link's (absent, empty, too long). */
function tokenOf(form: Record<string, string>): string | null {
  const token = form.token ?? ''
  return token === '' || token.length > maxTokenLength ? null : token
}

const apiCode = (error: unknown) => (error instanceof ApiError ? error.code : null)

/**
 * GET and POST /reset-password, GET and POST /verify-email: the hosted pages the links in
 * messages open (`<publicUrl>/reset-password#token=…`). The GET renders a form and changes
 * nothing; the script reads the token from the fragment, and only the button's POST (a form,
 * CSRF-checked) redeems it, so a mail scanner that fetches links consumes nothing. No page, log
 * line or URL ever holds the token. Every answer of these routes, errors included, is an HTML
 * page under a strict CSP; they are not part of the API and stay out of the OpenAPI document.
 */
export function emailPageRoutes(options: EmailPageOptions): FastifyPluginAsync {
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const { productName } = options
  const post = {
    bodyLimit: authBodyLimit,
    onRequest: options.rateLimited,
    preValidation: requireContentType('application/x-www-form-urlencoded'),
    schema: { hide: true },
  }

  const resetForm = (request: FastifyRequest, reply: FastifyReply, error?: string) =>
    resetPasswordPage({
      productName,
      csrf: csrf.issue(request, reply),
      minLength: options.passwordMinLength,
      error,
    })
  const invalidLink = (reply: FastifyReply) =>
    reply.code(400).send(
      resultPage({
        productName,
        heading: 'This link cannot be used',
        message: 'This link is invalid or has expired; ask for a new one.',
        done: true,
      }),
    )
  // A form posted without the page's cookie, or with another value: another site's form, or a
  // browser that refuses cookies. Nothing was done; the link may still work.
  const refused = (reply: FastifyReply) =>
    reply.code(403).send(
      resultPage({
        productName,
        heading: 'The form was refused',
        message:
          'This form was not sent from this page, or your browser blocked its cookie. Nothing was changed: open the link from the message again.',
        done: false,
      }),
    )

  return async (app) => {
    app.addHook('onRequest', async (_request, reply) => {
      htmlPageHeaders(reply)
    })
    app.setErrorHandler(pageErrorHandler(productName))

    app.get('/reset-password', { schema: { hide: true } }, async (request, reply) =>
      reply.send(resetForm(request, reply)),
    )
    app.post('/reset-password', post, async (request, reply) => {
      const form = formFields(request.body)
      if (!csrf.check(request, form[csrfField])) return refused(reply)
      const token = tokenOf(form)
      if (token === null) return invalidLink(reply)
      const password = form.new_password ?? ''
      if (password === '') {
        return reply.code(400).send(resetForm(request, reply, 'Enter a new password.'))
      }
      try {
        await options.recovery.reset(token, password, requestMetaOf(request))
      } catch (error) {
        if (apiCode(error) === 'invalid_token') return invalidLink(reply)
        // The password policy's refusal names the rule; the form comes back to try again.
        if (error instanceof ApiError && error.code === 'invalid_request') {
          return reply.code(400).send(resetForm(request, reply, sentence(error.description)))
        }
        throw error
      }
      return reply.send(
        resultPage({
          productName,
          heading: 'Your password has been changed',
          message:
            'Your new password is set, and every device that was signed in has been signed out. Sign in again with the new password.',
          done: true,
        }),
      )
    })

    app.get('/verify-email', { schema: { hide: true } }, async (request, reply) =>
      reply.send(verifyEmailPage({ productName, csrf: csrf.issue(request, reply) })),
    )
    app.post('/verify-email', post, async (request, reply) => {
      const form = formFields(request.body)
      if (!csrf.check(request, form[csrfField])) return refused(reply)
      const token = tokenOf(form)
      if (token === null) return invalidLink(reply)
      try {
        await options.verification.verify(token, requestMetaOf(request))
      } catch (error) {
        if (apiCode(error) === 'invalid_token') return invalidLink(reply)
        if (apiCode(error) === 'email_taken') {
          return reply.code(409).send(
            resultPage({
              productName,
              heading: 'This address is taken',
              message:
                'Another account now uses this email address, so it cannot be confirmed for yours. Sign in and choose another address.',
              done: true,
            }),
          )
        }
        throw error
      }
      return reply.send(
        resultPage({
          productName,
          heading: 'Your email address is confirmed',
          message: 'Thank you: your email address is confirmed. You can close this page.',
          done: true,
        }),
      )
    })
  }
}

/** An API description ("password must be at least 15 characters") as a sentence for a page. */
const sentence = (text: string) =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`

/**
 * The pages' error handler: what the API would answer as JSON (a 429 with Retry-After, a 415,
 * a 503 while the database is away, an unexpected error as a 500 with the request id only, its
 * cause logged) as a page with the same status and headers. `unreadable`: the sentence for a
 * request that could not be read (what the user should do instead).
 */
export function pageErrorHandler(
  productName: string,
  unreadable = 'The request could not be read. Open the link from the message again.',
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let status: number
    let message: string
    if (error instanceof ApiError) {
      status = error.status
      message = sentence(error.description)
      reply.headers(error.headers)
    } else if (error instanceof StoreUnavailableError) {
      request.log.error({ err: error }, 'database unavailable')
      status = 503
      message = 'The service is unavailable for a moment. Try again shortly.'
      reply.header('retry-after', '2')
    } else if (
      error.statusCode !== undefined &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      status = error.statusCode
      message = unreadable
    } else {
      request.log.error({ err: error }, 'unhandled error')
      status = 500
      message = `Something went wrong on our side (request id ${request.id}). Try again later.`
    }
    if (status >= 500 && error instanceof ApiError) {
      request.log.warn({ code: error.code }, error.description)
    }
    const heading = status === 429 ? 'Too many attempts' : 'Something went wrong'
    // Fastify drops the content type before calling an error handler: set the page's again.
    return htmlPageHeaders(reply)
      .code(status)
      .send(resultPage({ productName, heading, message, done: false }))
  }
}
