import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { stepUpSatisfied } from './auth/mfa/step-up-policy.js'
import { perMinute as perMinuteRule, type RateLimit } from './auth/rate-limiter.js'
import { BrowserSessionCookie } from './http/browser-session-cookie.js'
import { clientAuthenticator } from './http/client-auth.js'
import { clientErrorHandler } from './http/client-error.js'
import { registerCors } from './http/cors.js'
import { errorHandler, notFoundHandler } from './http/error-handler.js'
import { refuseDuplicateJsonKeys } from './http/json-body.js'
import { lazySchemaCompilers } from './http/lazy-schema-compilers.js'
import { authBodyLimit, maxHeaderSize, timeoutCheckIntervalMs } from './http/limits.js'
import { loadShedding, sheddingHook } from './http/load-shedding.js'
import { logResponse } from './http/logger.js'
import { refuseNul } from './http/nul-guard.js'
import { protectedRoutes } from './http/protected.js'
import { rateLimit } from './http/rate-limit.js'
import { requestGate } from './http/request-gate.js'
import { requestIds } from './http/request-id.js'
import { deferredChildLogger } from './http/request-logger.js'
import { stepUpCheck } from './http/step-up.js'
import { fastifyTrustProxy } from './http/trust-proxy.js'
import { emailPagesStyle, pageAssets } from './pages/assets.js'
import { passkeyAsset } from './pages/passkey-asset.js'
import { adminAuditRoutes } from './routes/admin-audit.js'
import { adminClientRoutes } from './routes/admin-clients.js'
import { adminKeyRoutes } from './routes/admin-keys.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { authorizeRoutes } from './routes/authorize.js'
import { consentRoutes } from './routes/consent.js'
// Merge of oidc-store and hosted-login: both named their export consentRoutes.
import { consentRoutes as consentApiRoutes } from './routes/consents.js'
import { discoveryRoutes } from './routes/discovery.js'
import { registerDocs, registerOpenApi } from './routes/docs.js'
import { emailAccountRoutes, emailVerifyRoutes } from './routes/email.js'
import { emailPageRoutes } from './routes/email-pages.js'
import { forgotPasswordPageRoutes } from './routes/forgot-password-page.js'
import { healthRoutes } from './routes/health.js'
import { introspectRoutes } from './routes/introspect.js'
import { jwksRoutes } from './routes/jwks.js'
import { loginRoutes } from './routes/login.js'
import { loginPasskeyRoutes } from './routes/login-passkey.js'
import { passkeyRegisterRoutes } from './routes/login-passkey-register.js'
import { logoutRoutes } from './routes/logout.js'
import { mfaRoutes } from './routes/mfa.js'
import { mfaAssociateRoutes } from './routes/mfa-associate.js'
import { mfaPageRoutes } from './routes/mfa-pages.js'
import { pageAssetRoutes } from './routes/page-assets.js'
import { passkeyRoutes } from './routes/passkeys.js'
import { passwordRoutes } from './routes/password.js'
import { registerRoutes } from './routes/register.js'
import { revokeRoutes } from './routes/revoke.js'
import { rootRoutes } from './routes/root.js'
import { sessionRoutes } from './routes/sessions.js'
import { tokenRoutes } from './routes/token.js'
import { userInfoRoutes } from './routes/userinfo.js'
import { userRoutes } from './routes/users.js'
import type { Services } from './services.js'

/**
 * Builds the Fastify app from the services, without listening: the server and the tests both
 * use it. It logs through `services.logs` and owns nothing else: the process starts the timers
 * and closes the store after closing the app.
 */
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services
  const { http } = config
  const logger = services.logs.app
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIds(),
    // request.log is made on first use: most requests never log through it.
    childLoggerFactory: deferredChildLogger,
    // Timeouts: a client must send all its headers within headersTimeout and the whole request
    // within requestTimeout (both answered 408), stay silent no longer than connectionTimeout,
    // and keep an idle connection open no longer than keepAliveTimeout. Node checks the first
    // two only every timeoutCheckIntervalMs, so the silence cut comes two periods later: a
    // client that stalls mid-request gets its 408, not a connection closed without an answer.
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.requestTimeoutMs + 2 * timeoutCheckIntervalMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: {
      headersTimeout: http.headersTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s): make it short so a
      // slow-headers client is cut within about a second of its deadline.
      connectionsCheckingInterval: timeoutCheckIntervalMs,
      maxHeaderSize,
      // Node's own refusal of a request without Host is a bare 400; the request gate refuses it
      // in the error shape instead.
      requireHostHeader: false,
    },
    // Errors of the HTTP parser and the timeouts, raised before Fastify sees a request.
    clientErrorHandler: clientErrorHandler(logger as FastifyBaseLogger),
    trustProxy: fastifyTrustProxy(http.trustProxy),
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL, say) take the one error shape too.
    frameworkErrors: errorHandler,
    ajv: {
      // Fastify's defaults silently drop unknown fields and coerce types; an auth API must refuse.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
    // Each route's validators and serializers are compiled by its first request, not at start.
    schemaController: lazySchemaCompilers(),
  }).withTypeProvider<TypeBoxTypeProvider>()

  const { users, sessions, audit, keyring, store, rateLimiter, clients, tokens } = services
  const { flows } = config.mail
  // The per-IP limit of the unauthenticated endpoints (PORTCULLIS_REQUEST_LIMIT a minute).
  const perMinute = perMinuteRule(config.limits.requestsPerMinute)
  const limited = (name: string, rule: RateLimit = perMinute) => rateLimit(rateLimiter, name, rule)
  const authenticateClient = clientAuthenticator({
    clients,
    audit,
    rateLimiter,
    failureLimit: perMinute,
  })

  app.setErrorHandler(errorHandler)
  app.addHook('preHandler', refuseNul)
  // A rate-limited 404: probing for URLs costs the prober (fastify/demo's advice).
  app.setNotFoundHandler({ preHandler: limited('not_found') }, notFoundHandler)
  const shedding = loadShedding(http.maxEventLoopDelayMs, services.metrics.shed)
  if (shedding) app.addHook('onClose', async () => shedding.stop())
  // CORS before load shedding, so a browser can read the 503 it is given; without CORS the
  // gate sheds too (one hook fewer on every request).
  const corsOn = http.cors.origins.length > 0
  app.addHook('onRequest', requestGate(corsOn ? undefined : shedding))
  await registerCors(app, http.cors)
  if (corsOn && shedding) app.addHook('onRequest', sheddingHook(shedding))
  app.addHook('onResponse', logResponse(services.logs.access))
  // Request durations are only observed where a metrics listener can serve them.
  if (config.metrics) app.addHook('onResponse', services.metrics.onResponse)
  app.removeContentTypeParser('text/plain')
  refuseDuplicateJsonKeys(app)
  await app.register(formbody, { bodyLimit: authBodyLimit })
  await registerOpenApi(app, config)

  await app.register(rootRoutes())
  await app.register(
    registerRoutes({
      users,
      audit,
      verification: flows.enabled ? services.verification : null,
      rateLimited: limited('register', {
        limit: config.limits.registerPerHour,
        windowSeconds: 3600,
      }),
    }),
  )
  if (config.mail.flows.enabled) {
    await app.register(
      passwordRoutes({ recovery: services.recovery, rateLimited: limited('password_reset') }),
    )
  }
  await app.register(
    tokenRoutes({
      grants: services.grants,
      clients,
      authenticateClient,
      clientPolicy: config.clients,
    }),
  )
  await app.register(
    mfaAssociateRoutes({
      mfa: services.mfa,
      mfaLogins: services.mfaLogins,
      clients,
      authenticateClient,
      clientPolicy: config.clients,
      realm: config.tokens.realm,
    }),
  )
  await app.register(
    authorizeRoutes({
      authorization: services.authorization,
      browserSessions: services.browserSessions,
      cookie: new BrowserSessionCookie(new URL(config.tokens.issuer).protocol === 'https:'),
      productName: config.mail.flows.productName,
    }),
  )
  await app.register(
    revokeRoutes({
      tokens,
      sessions,
      machineTokens: services.machineTokens,
      audit,
      clients,
      authenticateClient,
      rateLimited: limited('revoke'),
    }),
  )
  await app.register(
    introspectRoutes({
      tokens,
      sessions,
      machineTokens: services.machineTokens,
      roles: config.roles,
      issuer: config.tokens.issuer,
      authenticateClient,
      rateLimited: limited('introspect'),
    }),
  )
  if (flows.enabled) {
    const { verification } = services
    await app.register(emailVerifyRoutes({ verification, rateLimited: limited('email_verify') }))
  }
  await app.register(
    protectedRoutes(
      {
        tokens,
        sessions,
        realm: config.tokens.realm,
        roles: config.roles,
        stepUp: stepUpCheck({
          mfa: services.mfa,
          audit,
          clock: services.clock,
          realm: config.tokens.realm,
          maxAgeSeconds: config.mfa.stepUpMaxAgeSeconds,
          admin: config.mfa.adminRequireMfa,
        }),
      },
      userRoutes({
        users,
        sessions,
        audit,
        throttle: services.throttle,
        recovery: services.recovery,
      }),
      ...(flows.enabled ? [emailAccountRoutes(services)] : []),
      sessionRoutes({ sessions, audit }),
      mfaRoutes({ mfa: services.mfa }),
      userInfoRoutes({ roles: config.roles }),
      adminUserRoutes({
        userAdmin: services.userAdmin,
        store,
        mfa: services.mfa,
        recovery: config.mail.flows.enabled ? services.recovery : null,
      }),
      adminClientRoutes({ clients: services.clients, store }),
      consentApiRoutes({ consents: services.consents }),
      adminAuditRoutes({ audit }),
      adminKeyRoutes({ keyring, audit }),
      passkeyRoutes(services),
    ),
  )
  await app.register(jwksRoutes({ keyring }))
  await app.register(discoveryRoutes({ config }))
  // RP-initiated logout: the end-session endpoint and its confirmation page.
  await app.register(
    logoutRoutes({
      logout: services.logout,
      browserSessions: services.browserSessions,
      audit,
      productName: flows.productName,
      secureCookies: new URL(config.tokens.issuer).protocol === 'https:',
      rateLimited: limited('end_session'),
    }),
  )
  await app.register(healthRoutes({ store }))
  if (config.mail.flows.enabled) {
    // The pages that links in messages open; they complete the flows with a button press.
    await app.register(
      emailPageRoutes({
        recovery: services.recovery,
        verification: services.verification,
        productName: config.mail.flows.productName,
        passwordMinLength: config.passwords.minLength,
        secureCookies: new URL(config.tokens.issuer).protocol === 'https:',
        rateLimited: limited('email_pages'),
      }),
    )
    await app.register(
      forgotPasswordPageRoutes({
        recovery: services.recovery,
        productName: config.mail.flows.productName,
        secureCookies: new URL(config.tokens.issuer).protocol === 'https:',
        rateLimited: limited('email_pages'),
      }),
    )
  }
  // The hosted login and consent pages of the authorization code flow, and the pages' assets.
  const pages = {
    authorization: services.authorization,
    browserSessions: services.browserSessions,
    productName: flows.productName,
    secureCookies: new URL(config.tokens.issuer).protocol === 'https:',
  }
  const resetHref = flows.enabled ? 'forgot-password' : null
  await app.register(loginRoutes({ ...pages, resetHref }))
  await app.register(mfaPageRoutes({ ...pages, resetHref }))
  await app.register(consentRoutes(pages))
  // Passkeys at the hosted pages: sign-in (alone or as the second step) and adding one.
  const passkeyPages = { ...pages, rateLimited: limited('login_passkey') }
  await app.register(
    loginPasskeyRoutes({ ...passkeyPages, passkeyLogins: services.passkeyLogins, resetHref }),
  )
  await app.register(
    passkeyRegisterRoutes({
      ...passkeyPages,
      passkeys: services.passkeys,
      mayChangeFactors: ({ session }) =>
        stepUpSatisfied(
          services.mfa,
          session,
          services.clock.now(),
          config.mfa.stepUpMaxAgeSeconds,
        ),
    }),
  )
  // The stylesheet and the passkey script always; the email pages' script only with its pages.
  const assets = flows.enabled ? pageAssets : [emailPagesStyle]
  await app.register(pageAssetRoutes([...assets, passkeyAsset]))
  await registerDocs(app, config)
  return app
}
