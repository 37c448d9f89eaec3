import { randomUUID } from 'node:crypto'
import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import pino, { type DestinationStream } from 'pino'
import { startKeyReload, startPurging } from './auth/housekeeping.js'
import { clientErrorHandler } from './http/client-error.js'
import { registerCors } from './http/cors.js'
import { errorHandler, notFoundHandler } from './http/error-handler.js'
import { refuseDuplicateJsonKeys } from './http/json-body.js'
import { authBodyLimit, maxHeaderSize, timeoutCheckIntervalMs } from './http/limits.js'
import { registerLoadShedding } from './http/load-shedding.js'
import { loggerOptions, logResponse } from './http/logger.js'
import { refuseNul } from './http/nul-guard.js'
import { protectedRoutes } from './http/protected.js'
import { perMinute, rateLimit } from './http/rate-limit.js'
import { checkRequestHead } from './http/request-head.js'
import { securityHeaders } from './http/security-headers.js'
import { fastifyTrustProxy } from './http/trust-proxy.js'
import { adminAuditRoutes } from './routes/admin-audit.js'
import { adminClientRoutes } from './routes/admin-clients.js'
import { adminKeyRoutes } from './routes/admin-keys.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { discoveryRoutes } from './routes/discovery.js'
import { registerDocs, registerOpenApi } from './routes/docs.js'
import { healthRoutes } from './routes/health.js'
import { introspectRoutes } from './routes/introspect.js'
import { jwksRoutes } from './routes/jwks.js'
import { registerRoutes } from './routes/register.js'
import { revokeRoutes } from './routes/revoke.js'
import { rootRoutes } from './routes/root.js'
import { sessionRoutes } from './routes/sessions.js'
import { tokenRoutes } from './routes/token.js'
import { userRoutes } from './routes/users.js'
import type { Services } from './services.js'

export interface AppOptions {
  /** Where log lines go; default stdout. */
  logStream?: DestinationStream
}

/**
 * Builds the Fastify app from the services, without listening: the server and the tests both
 * use it. Closing the app closes the store.
 */
export async function buildApp(
  services: Services,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const { config } = services
  // Asynchronous writes: a slow stdout must not stall requests (flushed at exit by pino).
  const destination = options.logStream ?? pino.destination({ dest: 1, sync: false })
  const logger = pino(loggerOptions(config.logLevel), destination)
  // Access lines carry the request id; pid and hostname on each would only cost bytes.
  const access = pino({ level: config.logLevel, base: null }, destination)
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // Timeouts: a client must send all its headers within headersTimeout and the whole request
    // within requestTimeout (both answered 408), stay silent no longer than connectionTimeout,
    // and keep an idle connection open no longer than keepAliveTimeout. Node checks the first
    // two only every timeoutCheckIntervalMs, so the silence cut comes two periods later: a
    // client that stalls mid-request gets its 408, not a connection closed without an answer.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs + 2 * timeoutCheckIntervalMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s): make it short so a
      // slow-headers client is cut within about a second of its deadline.
      connectionsCheckingInterval: timeoutCheckIntervalMs,
      maxHeaderSize,
      // Node's own refusal of a request without Host is a bare 400; checkRequestHead refuses it
      // in the error shape instead.
      requireHostHeader: false,
    },
    // Errors of the HTTP parser and the timeouts, raised before Fastify sees a request.
    clientErrorHandler: clientErrorHandler(logger as FastifyBaseLogger),
    trustProxy: fastifyTrustProxy(config.trustProxy),
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL, say) take the one error shape too.
    frameworkErrors: errorHandler,
    ajv: {
      // Fastify's defaults silently drop unknown fields and coerce types; an auth API must refuse.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setErrorHandler(errorHandler)
  app.addHook('preHandler', refuseNul)
  // A rate-limited 404: probing for URLs costs the prober (fastify/demo's advice).
  app.setNotFoundHandler(
    { preHandler: rateLimit(services, 'not_found', perMinute(services)) },
    notFoundHandler,
  )
  app.addHook('onRequest', securityHeaders)
  app.addHook('onRequest', checkRequestHead)
  // CORS before load shedding, so a browser can read the 503 it is given.
  await registerCors(app, config.cors)
  registerLoadShedding(app, config.maxEventLoopDelayMs)
  app.addHook('onResponse', logResponse(access))
  app.removeContentTypeParser('text/plain')
  refuseDuplicateJsonKeys(app)
  await app.register(formbody, { bodyLimit: authBodyLimit })
  await registerOpenApi(app, config)

  await app.register(rootRoutes())
  await app.register(registerRoutes(services))
  await app.register(tokenRoutes(services))
  await app.register(revokeRoutes(services))
  await app.register(introspectRoutes(services))
  await app.register(
    protectedRoutes(
      services,
      userRoutes(services),
      sessionRoutes(services),
      adminUserRoutes(services),
      adminClientRoutes(services),
      adminAuditRoutes(services),
      adminKeyRoutes(services),
    ),
  )
  await app.register(jwksRoutes(services))
  await app.register(discoveryRoutes(services))
  await app.register(healthRoutes(services))
  await registerDocs(app, config)

  services.audit.sink = (record) => app.log.info({ audit: record }, `audit ${record.type}`)
  services.audit.onError = (error) => app.log.error({ err: error }, 'audit record not stored')
  services.sessions.onReuse = async (event) => {
    app.log.warn(
      { event: 'refresh_token_reuse', ...event },
      'refresh token reused: session revoked',
    )
    await services.audit.record({
      type: 'refresh.reuse',
      outcome: 'failure',
      userId: event.userId,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      detail: { session_id: event.sessionId },
    })
  }
  const purge = startPurging(
    {
      sessions: services.sessions,
      machineTokens: services.machineTokens,
      audit: services.audit,
      auditRetentionDays: config.auditRetentionDays,
      throttle: services.throttle,
    },
    config.purgeIntervalSeconds * 1000,
    (error) => app.log.error({ err: error }, 'purge failed'),
  )
  const keyReload = startKeyReload(
    services.keyring,
    config.keys.reloadSeconds * 1000,
    (error) => app.log.error({ err: error }, 'signing key reload failed'),
    { cost: () => services.store.users.maxLegacyCost(), hasher: services.hasher },
  )
  app.addHook('onClose', async () => {
    purge.stop()
    keyReload.stop()
    await services.store.close()
  })
  return app
}
