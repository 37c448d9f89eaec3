import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
} from 'fastify'
import type { BrowserLogin, BrowserSessions } from '../auth/browser-sessions.js'
import type { Passkeys } from '../auth/mfa/passkeys.js'
import { ApiError } from '../errors.js'
import { userAgentOf } from '../http/actor.js'
import { BrowserSessionCookie } from '../http/browser-session-cookie.js'
import { csrfField, DoubleSubmitCsrf } from '../http/csrf.js'
import { messagePage } from '../pages/login-page.js'
import { credentialField, newPasskeyPage } from '../pages/passkey-forms.js'
import { formPost, refusedForm, setUpPages, singleFields } from './login.js'

const signInFirst = {
  heading: 'Sign in first',
  message:
    'Adding a passkey needs a browser signed in recently, with your second factor if you have one: sign in to an app through this server, then come back to this page.',
}

/**
 * GET and POST /add-passkey, POST /add-passkey/options: add a passkey from a browser signed in
 * at the hosted login page (its browser-session cookie), the page's way to what the API does
 * with a Bearer token (`POST /users/me/passkeys`). The options (JSON, for the script) and the
 * form both check the CSRF value and the session; the credential is verified by `Passkeys`.
 */
export function passkeyRegisterRoutes(options: {
  passkeys: Passkeys
  browserSessions: Pick<BrowserSessions, 'current'>
  /**
   * Whether this browser's sign-in may add a factor: as the API's step-up (RFC 9470), a user who
   * has one needs a recent multi-factor sign-in, so a password alone never adds a second key.
   */
  mayChangeFactors: (login: BrowserLogin) => Promise<boolean>
  productName: string
  secureCookies: boolean
  rateLimited: preHandlerHookHandler
}): FastifyPluginAsync {
  const { passkeys, productName } = options
  const csrf = new DoubleSubmitCsrf(options.secureCookies)
  const cookie = new BrowserSessionCookie(options.secureCookies)
  const signedIn = async (request: FastifyRequest) => {
    const login = await options.browserSessions.current(cookie.read(request))
    return login !== null && (await options.mayChangeFactors(login)) ? login : null
  }
  const context = (request: FastifyRequest) => ({
    clientId: null,
    ip: request.ip,
    userAgent: userAgentOf(request),
  })
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    username: string,
    message?: { text: string; error: boolean },
  ) =>
    reply.send(newPasskeyPage({ productName, username, csrf: csrf.issue(request, reply), message }))

  return async (app) => {
    await app.register(async (api) => {
      api.post(
        '/add-passkey/options',
        { ...formPost, preHandler: options.rateLimited },
        async (request, reply) => {
          const fields = singleFields(request.body)
          if (!csrf.check(request, fields[csrfField])) {
            throw new ApiError('access_denied', 'the form was not sent from this page')
          }
          const login = await signedIn(request)
          if (login === null) throw new ApiError('unauthorized', 'sign in first')
          const answer = await passkeys.registrationOptions(login.user)
          return reply.header('cache-control', 'no-store').send(answer)
        },
      )
    })

    await app.register(async (pages) => {
      setUpPages(pages, productName)
      pages.get('/add-passkey', { schema: { hide: true } }, async (request, reply) => {
        const login = await signedIn(request)
        if (login === null)
          return reply.code(401).send(messagePage({ productName, ...signInFirst }))
        return page(request, reply, login.user.username)
      })

      pages.post(
        '/add-passkey',
        { ...formPost, preHandler: options.rateLimited },
        async (request, reply) => {
          const fields = singleFields(request.body)
          if (!csrf.check(request, fields[csrfField])) return refusedForm(reply, productName)
          const login = await signedIn(request)
          if (login === null) {
            return reply.code(401).send(messagePage({ productName, ...signInFirst }))
          }
          const username = login.user.username
          let credential: RegistrationResponseJSON
          try {
            credential = JSON.parse(fields[credentialField] ?? '')
            if (!credential || typeof credential !== 'object') throw new Error('not an object')
          } catch {
            return page(request, reply.code(400), username, {
              text: 'No passkey was added. Try again.',
              error: true,
            })
          }
          const name = fields.name?.trim() ? fields.name : undefined
          try {
            await passkeys.register(login.user, credential, name, context(request))
          } catch (error) {
            if (!(error instanceof ApiError) || error.status >= 500) throw error
            return page(request, reply.code(400), username, {
              text: `No passkey was added: ${error.description}.`,
              error: true,
            })
          }
          return page(request, reply, username, { text: 'Passkey added.', error: false })
        },
      )
    })
  }
}
