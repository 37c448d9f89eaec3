import type { AccessTokenOptions } from '../auth/access-tokens.js'
import {
  ConfigError,
  type Env,
  headerSafe,
  int,
  intVariable,
  type Row,
  row,
  textVariable,
  variable,
} from './define.js'
import type { ListenConfig, NodeEnv } from './server.js'

/** The access tokens' claims, lifetime and cache (AccessTokens' options), and the challenge realm. */
export interface TokensConfig extends AccessTokenOptions {
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm: string
}

const issuer = variable('PORTCULLIS_ISSUER', '`http://<host>:<port>`')
const audience = variable('PORTCULLIS_AUDIENCE', 'the issuer')
const realm = textVariable('PORTCULLIS_REALM', 'portcullis')
const ttl = intVariable('PORTCULLIS_ACCESS_TOKEN_TTL', 900, 60, 86400)
const cacheSize = intVariable('PORTCULLIS_TOKEN_CACHE_SIZE', 10000, 0, 1_000_000)

export const issuerRows: Row[] = [
  row(
    issuer,
    "Public URL of this server: the tokens' `iss`. Required in production, and on PostgreSQL (instances sharing a database must share it; only a warning in development on a loopback address)",
  ),
  row(audience, "The tokens' `aud`"),
  row(realm, '`realm` of the `WWW-Authenticate` challenge'),
]

export const tokenRows: Row[] = [
  row(ttl, 'Access-token lifetime in seconds (60 to 86400)'),
  row(cacheSize, 'Verified tokens remembered to skip the signature check (0 disables)'),
]

/** `raw` as an absolute http(s) URL without trailing slashes; ConfigError naming `name` otherwise. */
export function httpUrl(name: string, raw: string): string {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${raw}")`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${raw}")`)
  }
  return raw.replace(/\/+$/, '')
}

/** The issuer: explicit and https in production, else `http://host:port`. */
export function readIssuer(env: Env, nodeEnv: NodeEnv, listen: ListenConfig): string {
  if (nodeEnv === 'production' && !env[issuer.name]) {
    throw new ConfigError(
      'PORTCULLIS_ISSUER must be set to the public https URL of this server when NODE_ENV=production',
    )
  }
  const value = httpUrl(issuer.name, env[issuer.name] || `http://${listen.host}:${listen.port}`)
  if (nodeEnv === 'production' && !value.startsWith('https://')) {
    throw new ConfigError(
      `PORTCULLIS_ISSUER must be an https URL when NODE_ENV=production (got "${value}")`,
    )
  }
  return value
}

export function readTokens(env: Env, issuerUrl: string): TokensConfig {
  return {
    issuer: issuerUrl,
    audience: headerSafe(env, audience, issuerUrl),
    realm: headerSafe(env, realm, realm.fallback),
    ttlSeconds: int(env, ttl),
    cacheSize: int(env, cacheSize),
  }
}
