import { existsSync } from 'node:fs'

/**
 * Loads `.env` from the working directory when present; real environment variables win. The
 * server and the CLI both call it first, so they read the same configuration.
 */
export function loadDotEnv(): void {
  if (!existsSync('.env')) return
  const before = { ...process.env }
  process.loadEnvFile('.env')
  Object.assign(process.env, before)
}
