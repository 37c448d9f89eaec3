/** The notes API's settings, read from its environment. */
export interface NotesConfig {
  host: string
  port: number
  issuer: string
  audience: string
  jwksUrl: string
  /** Minimum seconds between two JWKS fetches caused by an unknown kid. */
  jwksCooldownSeconds: number
  logLevel: string
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new Error(`${name} must be an integer from 0 to ${max} (got "${raw}")`)
  }
  return Number(raw)
}

/** Reads the configuration; throws with the name of a missing or bad variable. */
export function loadNotesConfig(env: NodeJS.ProcessEnv = process.env): NotesConfig {
  const issuer = env.PORTCULLIS_ISSUER?.replace(/\/+$/, '')
  if (!issuer) throw new Error('PORTCULLIS_ISSUER must be set to the issuer of the tokens')
  return {
    host: env.NOTES_HOST || '127.0.0.1',
    port: integer(env, 'NOTES_PORT', 8001, 65535),
    issuer,
    audience: env.NOTES_AUDIENCE || 'notes-api',
    jwksUrl: env.PORTCULLIS_JWKS_URL || `${issuer}/.well-known/jwks.json`,
    jwksCooldownSeconds: integer(env, 'NOTES_JWKS_COOLDOWN_SECONDS', 30, 3600),
    logLevel: env.NOTES_LOG_LEVEL || 'info',
  }
}
