import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RequestMeta } from '../auth/audit.js'
import { ApiError } from '../errors.js'
import { requestMetaOf } from '../http/actor.js'
import { requireContentType } from '../http/content-type.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { authBodyLimit } from '../http/limits.js'
import { htmlPageHeaders } from '../http/page-headers.js'
import { resultPage } from '../pages/email-pages.js'
import { forgotPasswordPage } from '../pages/forgot-password-page.js'
import { formFields, pageErrorHandler } from './email-pages.js'

export interface ForgotPasswordPageOptions {
  /** The service behind `POST /password/forgot`. */
  recovery: { forgot(email: string, meta: RequestMeta): Promise<void> }
  productName: string
  /** The server is reached over https: the CSRF cookie is `__Host-` and `Secure`. */
  secureCookies: boolean
  /** The per-IP limit of the form posts. */
  rateLimited: (request: FastifyRequest) => Promise<void>
}

/**
 * GET and POST /forgot-password: the hosted form behind the login page's "Forgot your
 * password?" link, doing what `POST /password/forgot` does. The answer to an accepted address is
 * one page whoever it belongs to (the service answers known and unknown addresses alike and in
 * the same time), so the page tells nobody whether an account exists. CSRF-checked; the limits
 * of `POST /password/forgot` apply (a 429 page with Retry-After).
 */
export function forgotPasswordPageRoutes(options: ForgotPasswordPageOptions): FastifyPluginAsync {
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const { productName } = options
  const form = (request: FastifyRequest, reply: FastifyReply, error?: string, email?: string) =>
    forgotPasswordPage({ productName, csrf: csrf.issue(request, reply), error, email })

  return async (app) => {
    app.addHook('onRequest', async (_request, reply) => {
      htmlPageHeaders(reply)
    })
    app.setErrorHandler(
      pageErrorHandler(productName, 'The request could not be read. Open the page again.'),
    )
    app.get('/forgot-password', { schema: { hide: true } }, async (request, reply) =>
      reply.send(form(request, reply)),
    )
    app.post(
      '/forgot-password',
      {
        bodyLimit: authBodyLimit,
        onRequest: options.rateLimited,
        preValidation: requireContentType('application/x-www-form-urlencoded'),
        schema: { hide: true },
      },
      async (request, reply) => {
        const fields = formFields(request.body)
        if (!csrf.check(request, fields[csrfField])) {
          return reply.code(403).send(
            resultPage({
              productName,
              heading: 'The form was refused',
              message:
                'This form was not sent from this page, or your browser blocked its cookie. Nothing was sent: open the page again.',
              done: false,
            }),
          )
        }
        const email = fields.email ?? ''
        try {
          await options.recovery.forgot(email, requestMetaOf(request))
        } catch (error) {
          // Only the shape of the address is judged here, never whether an account has it.
          if (error instanceof ApiError && error.code === 'invalid_request') {
            return reply
              .code(400)
              .send(form(request, reply, 'Enter a valid email address.', email.slice(0, 320)))
          }
          throw error
        }
        return reply.send(
          resultPage({
            productName,
            heading: 'Check your email',
            message:
              'If an account has this address, a link to choose a new password is on its way. It works once and expires soon.',
            done: false,
          }),
        )
      },
    )
  }
}
