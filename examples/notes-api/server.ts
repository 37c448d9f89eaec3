/**
 * The notes API as its own process:
 * `node --import tsx examples/notes-api/server.ts` (see README.md for the environment).
 */
import { createVerifier } from 'portcullis/verify'
import { buildNotesApp } from './app.js'
import { loadNotesConfig } from './config.js'
import { NotesStore } from './notes-store.js'

async function main(): Promise<void> {
  const config = loadNotesConfig()
  // Trusts Portcullis through its JWKS only: no shared secret, no call per request.
  const verifier = createVerifier({
    issuer: config.issuer,
    audience: config.audience,
    jwksUrl: config.jwksUrl,
    cooldownMs: config.jwksCooldownSeconds * 1000,
  })
  const app = await buildNotesApp(verifier, new NotesStore(), {
    logger: { level: config.logLevel },
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    })
  }
  await app.listen({ host: config.host, port: config.port })
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
