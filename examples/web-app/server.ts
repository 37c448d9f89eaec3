/**
 * The example web app as its own process:
 * `node --import tsx examples/web-app/server.ts` (see README.md for the environment).
 */
import { createServer } from 'node:http'
import * as oidc from 'openid-client'
import { webAppHandler } from './app.js'
import { loadWebAppConfig } from './config.js'
import { SessionStore } from './sessions.js'

async function main(): Promise<void> {
  const config = loadWebAppConfig()
  // OpenID Connect Discovery 1.0: endpoints, keys and capabilities from the issuer.
  const provider = await oidc.discovery(
    config.issuer,
    config.clientId,
    undefined,
    config.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(config.clientSecret),
    // Plain http only for a try-out on your own machine; a real deployment is https throughout.
    config.issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
  )
  const handler = webAppHandler(config, provider, new SessionStore())
  const server = createServer((request, response) => {
    void handler(request, response)
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => server.close(() => process.exit(0)))
  }
  server.listen(config.port, config.host, () => {
    console.log(`Web app listening at ${config.baseUrl}`)
  })
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
