/** The web app's settings, read from its environment. */
export interface WebAppConfig {
  host: string
  port: number
  /** Where browsers reach this app; the redirect URI is `<baseUrl>/callback`. */
  baseUrl: string
  /** Portcullis's issuer: discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: URL
  clientId: string
  /** Set for a confidential client; a public client has none and relies on PKCE alone. */
  clientSecret: string | undefined
  /** What the app asks for: an ID token, the user's name and email. */
  scope: string
}

function port(env: NodeJS.ProcessEnv): number {
  const raw = env.WEBAPP_PORT
  if (raw === undefined || raw === '') return 3000
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new Error(`WEBAPP_PORT must be a port from 1 to 65535 (got "${raw}")`)
  }
  return Number(raw)
}

/** Reads the configuration; throws with the name of a missing or bad variable. */
export function loadWebAppConfig(env: NodeJS.ProcessEnv = process.env): WebAppConfig {
  const issuer = env.PORTCULLIS_ISSUER?.replace(/\/+$/, '')
  if (!issuer) throw new Error('PORTCULLIS_ISSUER must be set to the issuer of Portcullis')
  const clientId = env.WEBAPP_CLIENT_ID
  if (!clientId)
    throw new Error('WEBAPP_CLIENT_ID must be set to the client registered for this app')
  const host = env.WEBAPP_HOST || '127.0.0.1'
  const listenPort = port(env)
  return {
    host,
    port: listenPort,
    baseUrl: (env.WEBAPP_BASE_URL || `http://${host}:${listenPort}`).replace(/\/+$/, ''),
    issuer: new URL(issuer),
    clientId,
    clientSecret: env.WEBAPP_CLIENT_SECRET || undefined,
    scope: 'openid profile email',
  }
}
