import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { bootstrapAdmin } from './auth/bootstrap-admin.js'
import { systemClock } from './clock.js'
import { loadConfig, sharedIssuerCheck } from './config.js'
import { createServices } from './services.js'
import { openStore } from './store/open-store.js'

export interface RunningServer {
  app: FastifyInstance
  /** Resolves with the exit code once SIGINT or SIGTERM has closed the server. */
  closed: Promise<number>
}

/**
 * Starts the server from the environment: config, store, services, the bootstrap admin, then
 * listens. SIGINT and SIGTERM close it gracefully (forced after 10 s). Throws ConfigError for a
 * bad setting, including a bootstrap admin password the policy refuses, or PostgreSQL without
 * PORTCULLIS_ISSUER (only a warning in development on loopback).
 */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const config = loadConfig(env)
  const issuerWarning = sharedIssuerCheck(config, env)
  const store = await openStore(config.databaseUrl, config.db)
  const services = await createServices(config, store, systemClock)
  const app = await buildApp(services)
  try {
    await bootstrapAdmin(services, app.log)
  } catch (error) {
    await app.close()
    throw error
  }
  const closed = closeOnSignal(app)
  if (config.env === 'production' && !config.keys.encryptionKey && !config.jwtSecret) {
    app.log.warn(
      'private signing keys are stored unencrypted: set PORTCULLIS_KEY_ENCRYPTION_KEY (32 bytes, base64)',
    )
  }
  if (issuerWarning) app.log.warn(issuerWarning)
  if (typeof config.trustProxy === 'number') {
    app.log.warn(
      "PORTCULLIS_TRUST_PROXY is a hop count: anyone who can reach this port directly can choose their client IP; list the proxies' addresses instead unless only the proxy can connect",
    )
  }
  await app.listen({ host: config.host, port: config.port })
  app.log.info(
    { issuer: config.issuer, store: store.engine, alg: config.signingAlg },
    'portcullis ready',
  )
  return { app, closed }
}

function closeOnSignal(app: FastifyInstance): Promise<number> {
  return new Promise((resolve) => {
    let closing = false
    const shutdown = (signal: string) => {
      if (closing) return
      closing = true
      app.log.info({ signal }, 'shutting down')
      const force = setTimeout(() => resolve(1), 10_000)
      force.unref()
      app.close().then(
        () => resolve(0),
        () => resolve(1),
      )
    }
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
  })
}
