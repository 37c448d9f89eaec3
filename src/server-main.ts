import type { Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { bootstrapAdmin } from './auth/bootstrap-admin.js'
import { adminRole } from './auth/roles.js'
import { systemClock } from './clock.js'
import { type Config, loadConfig, sharedIssuerCheck } from './config.js'
import { createLoggers, flushLog, stdoutDestination } from './loggers.js'
import { type MetricsListener, startMetricsListener } from './metrics/listener.js'
import { exposition, processRegistry } from './metrics/registry.js'
import { createServices } from './services.js'
import { startupLine } from './startup-line.js'
import { startupWarnings } from './startup-warnings.js'
import { openStore } from './store/open-store.js'
import type { Store } from './store/store.js'
import { startTimers, type Timers } from './timers.js'

export interface RunningServer {
  /** Resolves with the exit code once SIGINT or SIGTERM has closed the server. */
  closed: Promise<number>
}

/** One process serving the port: alone, or as a worker of a cluster. */
export interface ServingProcess extends RunningServer {
  app: FastifyInstance
  /** The address the app listens on, e.g. `http://127.0.0.1:8000`. */
  url: string
  /** Drains and closes as SIGTERM does (a worker whose primary is gone calls it). */
  shutdown(reason: string): void
}

/**
 * What a cluster worker does differently from a process alone: the primary already did the
 * one-time work (migrations, keys, the bootstrap admin), logged the warnings and says when the
 * server is ready; the purge and the mail sender run in the housekeeper only.
 */
export interface WorkerRole {
  housekeeper: boolean
}

/**
 * Starts the server from the environment: config, store, services, the bootstrap admin, then
 * listens and starts the purge, key-reload and mail-sender timers. SIGINT and SIGTERM stop the
 * timers, close the app, then the store (forced after 10 s). Throws ConfigError for a bad
 * setting, including a bootstrap admin password the policy refuses, or PostgreSQL without
 * PORTCULLIS_ISSUER (only a warning in development on loopback), and KeySealError for stored keys
 * or secrets the encryption key does not open (or that are in clear while it is set). Warns when
 * the SQLite files are open to group or others. When `terminal` (default: standard output is a TTY), one
 * human line follows the JSON logs. With PORTCULLIS_WORKERS above 1 the process becomes the
 * primary of a cluster of that many workers instead (src/cluster/primary.ts).
 */
export async function runServer(
  env: NodeJS.ProcessEnv = process.env,
  terminal = process.stdout.isTTY === true,
): Promise<RunningServer> {
  const config = loadConfig(env)
  if (config.workers.count > 1) {
    // Loaded only here: a single process has nothing to do with node:cluster.
    const { runPrimary } = await import('./cluster/primary.js')
    return runPrimary(config, env, terminal)
  }
  return serve(config, env, terminal)
}

/**
 * Serves the port in this process: alone (`worker` undefined, everything runServer describes)
 * or as a cluster worker (see WorkerRole).
 */
export async function serve(
  config: Config,
  env: NodeJS.ProcessEnv,
  terminal: boolean,
  worker?: WorkerRole,
): Promise<ServingProcess> {
  const issuerWarning = sharedIssuerCheck(config, env)
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  // The log destination, held here to add the start-up line to it.
  const logStream = stdoutDestination()
  const logs = createLoggers(config.http.logLevel, logStream)
  try {
    const services = await createServices(config, store, systemClock, logs, processRegistry())
    const app = await buildApp(services)
    if (!worker) {
      try {
        await bootstrapAdmin(services, app.log)
      } catch (error) {
        await app.close()
        throw error
      }
      for (const warning of startupWarnings(config, issuerWarning)) app.log.warn(warning)
    }
    let timers: Timers | undefined
    let metrics: MetricsListener | undefined
    const stop = () => Promise.all([timers?.stop(), metrics?.close()]).then(() => {})
    const { closed, remove, shutdown } = closeOnSignal(app, stop, store)
    // Its own address (loopback by default), never the API's; off unless configured. A cluster's
    // primary serves the workers' metrics aggregated instead.
    if (config.metrics && !worker) {
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
    timers = startTimers(services, { housekeeping: worker?.housekeeper ?? true })
    if (!worker) {
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
    }
    flushLog(logStream)
    return { app, closed, url: address, shutdown }
  } catch (error) {
    await store.close()
    throw error
  }
}

/**
 * Shutdown on SIGINT or SIGTERM (or `shutdown`): the timers stop (the mail sender settles its
 * send in flight) while the app drains and closes, then the store closes. Installed before
 * listening, so a signal that arrives as soon as the port answers is never met by Node's default
 * handler; `remove` takes the handlers away again (a failed start).
 */
function closeOnSignal(
  app: FastifyInstance,
  stopTimers: () => Promise<void> | undefined,
  store: Store,
): { closed: Promise<number>; remove: () => void; shutdown: (reason: string) => void } {
  let remove = () => {}
  let shutdown: (reason: string) => void = () => {}
  const connections = openConnections(app.server)
  const closed = new Promise<number>((resolve) => {
    let closing = false
    shutdown = (signal: string) => {
      if (closing) return
      closing = true
      app.log.info({ signal }, 'shutting down')
      closeAfterResponse(connections)
      const force = setTimeout(() => resolve(1), 10_000)
      force.unref()
      // The mail sender settles its delivery in flight while the app drains; then the store.
      Promise.all([stopTimers(), app.close()])
        .then(() => store.close())
        .then(
          () => {
            // The last line: the process exits right after it, through the log's exit flush.
            app.log.info('stopped')
            resolve(0)
          },
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
  return { closed, remove, shutdown }
}

/**
 * The open connections, tracked per connection rather than per request: a keep-alive
 * connection carries thousands of requests, and a listener per response cost about a tenth of
 * the `/users/me` throughput.
 */
function openConnections(server: Server): Set<Socket> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return sockets
}

/**
 * Closing the server closes the idle connections only: a keep-alive connection whose request is
 * in flight would stay open after its answer until the client left or the 10 s force, holding
 * the shutdown. Its answer says `Connection: close` instead (RFC 9112 §9.6), so the client
 * knows not to reuse it and the server closes it once the answer is out. Requests arriving
 * after this get Fastify's 503 with `Connection: close`. (A pipelined request queued behind a
 * response whose headers are already out is not marked: its connection then holds the shutdown
 * until the client leaves or the 10 s force, which exits 1. Pipelining is rare.)
 */
function closeAfterResponse(sockets: Set<Socket>) {
  for (const socket of sockets) {
    // The response a connection is writing: Node's own closeIdleConnections reads the same
    // `_httpMessage` to tell a busy connection from an idle one.
    const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (response && !response.headersSent) response.setHeader('Connection', 'close')
  }
}
