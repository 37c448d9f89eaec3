import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { buildApp } from './app.js'
import { bootstrapAdmin } from './auth/bootstrap-admin.js'
import { adminRole } from './auth/roles.js'
import { systemClock } from './clock.js'
import { type Config, loadConfig, sharedIssuerCheck } from './config.js'
import { createLoggers } from './loggers.js'
import { type MetricsListener, startMetricsListener } from './metrics/listener.js'
import { exposition, processRegistry } from './metrics/registry.js'
import { createServices } from './services.js'
import { startupLine } from './startup-line.js'
import { looseModeWarnings } from './store/file-modes.js'
import { openStore, sqliteFilePath } from './store/open-store.js'
import type { Store } from './store/store.js'
import { startTimers, type Timers } from './timers.js'

export interface RunningServer {
  app: FastifyInstance
  /** Resolves with the exit code once SIGINT or SIGTERM has closed the server. */
  closed: Promise<number>
}

/**
 * Starts the server from the environment: config, store, services, the bootstrap admin, then
 * listens and starts the purge, key-reload and mail-sender timers. SIGINT and SIGTERM stop the
 * timers, close the app, then the store (forced after 10 s). Throws ConfigError for a bad
 * setting, including a bootstrap admin password the policy refuses, or PostgreSQL without
 * PORTCULLIS_ISSUER (only a warning in development on loopback), and KeySealError for stored keys
 * or secrets the encryption key does not open (or that are in clear while it is set). Warns when
 * the SQLite files are open to group or others. When `terminal` (default: standard output is a TTY), one
 * human line follows the JSON logs.
 */
export async function runServer(
  env: NodeJS.ProcessEnv = process.env,
  terminal = process.stdout.isTTY === true,
): Promise<RunningServer> {
  const config = loadConfig(env)
  const issuerWarning = sharedIssuerCheck(config, env)
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  // The log destination, held here to add the start-up line to it.
  const logStream = pino.destination({ dest: 1, sync: false })
  const logs = createLoggers(config.http.logLevel, logStream)
  try {
    const services = await createServices(config, store, systemClock, logs, processRegistry())
    const app = await buildApp(services)
    try {
      await bootstrapAdmin(services, app.log)
    } catch (error) {
      await app.close()
      throw error
    }
    warnings(config, issuerWarning, app)
    let timers: Timers | undefined
    let metrics: MetricsListener | undefined
    const stop = () => Promise.all([timers?.stop(), metrics?.close()]).then(() => {})
    const { closed, remove } = closeOnSignal(app, stop, store)
    // Its own address (loopback by default), never the API's; off unless configured.
    if (config.metrics) {
      const { registry } = services.metrics
      metrics = await startMetricsListener(config.metrics, () => exposition(registry)).catch(
        async (error: unknown) => {
          remove()
          await app.close()
          throw error
        },
      )
      app.log.info({ url: `${metrics.url}/metrics` }, 'metrics listening')
    }
    // A port in use (say) must not leave the app, the store or the signal handlers behind.
    const address = await app
      .listen({ host: config.listen.host, port: config.listen.port })
      .catch(async (error: unknown) => {
        remove()
        await Promise.all([app.close(), metrics?.close()])
        throw error
      })
    timers = startTimers(services)
    app.log.info(
      { issuer: config.tokens.issuer, store: store.engine, alg: config.keys.alg },
      'portcullis ready',
    )
    if (terminal) {
      // A hint, not a check: a database hiccup here must not stop a server that is up.
      const adminExists = await store.users.anyEnabledWithRole(adminRole).catch(() => true)
      // Into the log stream, so that it follows the JSON lines above, which are written asynchronously.
      logStream.write(
        `${startupLine({ url: address, databaseUrl: config.store.databaseUrl, adminExists })}\n`,
      )
    }
    return { app, closed }
  } catch (error) {
    await store.close()
    throw error
  }
}

function warnings(config: Config, issuerWarning: string | null, app: FastifyInstance) {
  const file = sqliteFilePath(config.store.databaseUrl)
  for (const warning of file ? looseModeWarnings(file) : []) app.log.warn(warning)
  if (config.env === 'production' && !config.keys.encryptionKey) {
    app.log.warn(
      'PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true: private signing keys and server secrets are stored in clear; set PORTCULLIS_KEY_ENCRYPTION_KEY (32 bytes, base64)',
    )
  }
  if (issuerWarning) app.log.warn(issuerWarning)
  if (typeof config.http.trustProxy === 'number') {
    app.log.warn(
      "PORTCULLIS_TRUST_PROXY is a hop count: anyone who can reach this port directly can choose their client IP; list the proxies' addresses instead unless only the proxy can connect",
    )
  }
}

/**
 * Shutdown on SIGINT or SIGTERM: the timers stop (the mail sender settles its send in flight)
 * while the app drains and closes, then the store closes. Installed before listening, so a signal
 * that arrives as soon as the port answers is never met by Node's default handler; `remove`
 * takes the handlers away again (a failed start).
 */
function closeOnSignal(
  app: FastifyInstance,
  stopTimers: () => Promise<void> | undefined,
  store: Store,
): { closed: Promise<number>; remove: () => void } {
  let remove = () => {}
  const closed = new Promise<number>((resolve) => {
    let closing = false
    const shutdown = (signal: string) => {
      if (closing) return
      closing = true
      app.log.info({ signal }, 'shutting down')
      const force = setTimeout(() => resolve(1), 10_000)
      force.unref()
      // The mail sender settles its delivery in flight while the app drains; then the store.
      Promise.all([stopTimers(), app.close()])
        .then(() => store.close())
        .then(
          () => resolve(0),
          () => resolve(1),
        )
    }
    const onInt = () => shutdown('SIGINT')
    const onTerm = () => shutdown('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    remove = () => {
      process.removeListener('SIGINT', onInt)
      process.removeListener('SIGTERM', onTerm)
    }
  })
  return { closed, remove }
}
