import { existsSync } from 'node:fs'
import { buildApp } from './app.js'
import { systemClock } from './clock.js'
import { ConfigError, loadConfig } from './config.js'
import { createServices } from './services.js'
import { openStore } from './store/open-store.js'

/** Loads `.env` from the working directory when present (real environment variables win). */
function loadDotEnv(): void {
  if (!existsSync('.env')) return
  const before = { ...process.env }
  process.loadEnvFile('.env')
  Object.assign(process.env, before)
}

async function main(): Promise<void> {
  loadDotEnv()
  const config = loadConfig()
  const store = await openStore(config.databaseUrl, config.db)
  const services = await createServices(config, store, systemClock)
  const app = await buildApp(services)
  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  if (config.env === 'production' && !config.keys.encryptionKey && !config.jwtSecret) {
    app.log.warn(
      'private signing keys are stored unencrypted: set PORTCULLIS_KEY_ENCRYPTION_KEY (32 bytes, base64)',
    )
  }
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
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`portcullis: configuration error: ${error.message}`)
  } else {
    console.error('portcullis: failed to start:', error)
  }
  process.exit(1)
})
