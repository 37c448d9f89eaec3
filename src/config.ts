import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { builtinScopes, parseRoles, type RoleTable } from './auth/roles.js'
import { type CorsConfig, parseCorsOrigins } from './http/cors.js'
import { parseTrustProxy, type TrustProxy } from './http/trust-proxy.js'

/** Everything the server reads from its environment, validated. */
export interface Config {
  env: 'development' | 'production' | 'test'
  host: string
  port: number
  dataDir: string
  databaseUrl: string
  /** PostgreSQL pool size and the bound on waiting for a connection or a statement. */
  db: { poolSize: number; timeoutMs: number }
  issuer: string
  audience: string
  realm: string
  signingAlg: 'ES256' | 'EdDSA' | 'HS256'
  /** HS256 mode only: the shared secret (≥ 32 bytes, not a placeholder). */
  jwtSecret: string | undefined
  keys: {
    publishSeconds: number
    rotationSeconds: number
    reloadSeconds: number
    /** 32-byte AES-256-GCM key sealing private keys and server secrets at rest, or null. */
    encryptionKey: Buffer | null
    /** PORTCULLIS_ALLOW_UNENCRYPTED_KEYS: production may run without `encryptionKey`. */
    allowUnencrypted: boolean
  }
  accessTokenTtlSeconds: number
  session: { idleTtlSeconds: number; absoluteTtlSeconds: number; graceSeconds: number }
  purgeIntervalSeconds: number
  tokenCacheSize: number
  /** How long a user's status may be served from memory; the bound on disable/delete lag. */
  statusCacheMs: number
  /** Every scope this server offers: the built-in ones plus PORTCULLIS_SCOPES. */
  scopes: string[]
  /** What a token gets when no `scope` is asked for (narrowed to what the user's roles allow). */
  defaultScopes: string[]
  /** Role name → scopes it grants. */
  roles: RoleTable
  /** The built-in public first-party client, usable without registration. */
  clientId: string
  /** When true, the password grant needs a registered client; the built-in one is refused. */
  requireClient: boolean
  /** How long audit records are kept. */
  auditRetentionDays: number
  /** Read once at server start: creates this admin if no user has the username. */
  bootstrapAdmin: { username: string; password: string } | null
  argon2: { memoryKib: number; iterations: number; parallelism: number }
  hashConcurrency: number
  hashQueueLimit: number
  passwordMinLength: number
  passwordMaxLength: number
  requestTimeoutMs: number
  /** Node server timeouts besides the request timeout: all headers, and idle keep-alive. */
  headersTimeoutMs: number
  keepAliveTimeoutMs: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Whose `X-Forwarded-For` is believed: nobody, a hop count, or proxy addresses/CIDRs. */
  trustProxy: TrustProxy
  cors: CorsConfig
  /** Event-loop lag past which new requests get 503; 0 disables load shedding. */
  maxEventLoopDelayMs: number
  /** Login throttling and per-IP rate limits; `enabled` false relaxes them all. */
  limits: {
    enabled: boolean
    loginIpFailures: number
    loginIpWindowSeconds: number
    loginDelayAfter: number
    loginSlowAfter: number
    loginHardLimit: number
    loginMaxDelaySeconds: number
    registerPerHour: number
    requestsPerMinute: number
  }
}

/** A configuration value that cannot be used; the message names the variable and what it accepts. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`)
  }
  return value
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`)
  }
  return raw as T
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new ConfigError(`${name} must be true or false (got "${raw}")`)
}

/** Runs a parser that throws plain Errors, naming the variable in the ConfigError. */
function parsed<T>(env: Env, name: string, parse: (raw: string | undefined) => T): T {
  try {
    return parse(env[name])
  } catch (error) {
    throw new ConfigError(`${name} ${(error as Error).message}`)
  }
}

function timeouts(env: Env) {
  const requestTimeoutMs = int(env, 'PORTCULLIS_REQUEST_TIMEOUT_MS', 10_000, 1000, 600_000)
  const headersTimeoutMs = int(
    env,
    'PORTCULLIS_HEADERS_TIMEOUT_MS',
    Math.min(5000, requestTimeoutMs),
    1000,
    600_000,
  )
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `PORTCULLIS_HEADERS_TIMEOUT_MS must not exceed PORTCULLIS_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    )
  }
  const keepAliveTimeoutMs = int(env, 'PORTCULLIS_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000)
  return { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs }
}

function corsConfig(env: Env): CorsConfig {
  const origins = parsed(env, 'PORTCULLIS_CORS_ORIGINS', parseCorsOrigins)
  const credentials = bool(env, 'PORTCULLIS_CORS_CREDENTIALS', false)
  if (credentials && origins.includes('*')) {
    throw new ConfigError(
      'PORTCULLIS_CORS_CREDENTIALS=true cannot be combined with PORTCULLIS_CORS_ORIGINS=*: list the exact origins',
    )
  }
  return { origins, credentials }
}

/** Printable ASCII without quote or backslash: safe inside a quoted header parameter. */
function headerSafe(env: Env, name: string, fallback: string): string {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/.test(raw) || raw.trim() === '') {
    throw new ConfigError(`${name} must be printable ASCII without " or \\ (got "${raw}")`)
  }
  return raw
}

/** A database URL with its password masked, for messages. */
function masked(raw: string): string {
  try {
    const parsed = new URL(raw)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return raw.replace(/\/\/.*@/, '//***@')
  }
}

function url(name: string, raw: string): string {
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

const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/ // RFC 6749 §3.3 scope-token

function scopeList(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const list = raw.trim().split(/\s+/)
  for (const scope of list) {
    if (!scopePattern.test(scope)) {
      throw new ConfigError(`${name} must be space-separated RFC 6749 scope tokens (got "${raw}")`)
    }
  }
  return list
}

function bootstrapAdmin(env: Env): Config['bootstrapAdmin'] {
  const username = env.PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME
  const password = env.PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD
  if (!username && !password) return null
  if (!username || !password) {
    throw new ConfigError(
      'PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME and PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD go together',
    )
  }
  return { username, password }
}

// Values people paste from tutorials and examples; a deployment must never run with them.
const placeholder = /secret|change|your|example|placeholder|password|default|^(.)\1+$/i

function signing(env: Env) {
  // PORTCULLIS_JWT_ALG is the tutorial-friendly alias of PORTCULLIS_SIGNING_ALG.
  const name = env.PORTCULLIS_JWT_ALG ? 'PORTCULLIS_JWT_ALG' : 'PORTCULLIS_SIGNING_ALG'
  const signingAlg = oneOf(env, name, 'ES256', ['ES256', 'EdDSA', 'HS256'] as const)
  const secret = env.PORTCULLIS_JWT_SECRET
  if (signingAlg !== 'HS256') {
    if (secret)
      throw new ConfigError('PORTCULLIS_JWT_SECRET is only used with PORTCULLIS_JWT_ALG=HS256')
    return { signingAlg, jwtSecret: undefined }
  }
  if (!secret || Buffer.byteLength(secret) < 32) {
    throw new ConfigError(
      'PORTCULLIS_JWT_SECRET must be at least 32 bytes when PORTCULLIS_JWT_ALG=HS256',
    )
  }
  if (placeholder.test(secret)) {
    throw new ConfigError(
      'PORTCULLIS_JWT_SECRET looks like a placeholder: generate one with `openssl rand -base64 48`',
    )
  }
  return { signingAlg, jwtSecret: secret }
}

function encryptionKey(env: Env, nodeEnv: Config['env']) {
  const allowUnencrypted = bool(env, 'PORTCULLIS_ALLOW_UNENCRYPTED_KEYS', false)
  const raw = env.PORTCULLIS_KEY_ENCRYPTION_KEY
  if (!raw) {
    // A database backup or a copied file must not hand out the signing keys (ASVS 11.1.x, 13.3).
    if (nodeEnv === 'production' && !allowUnencrypted) {
      throw new ConfigError(
        'PORTCULLIS_KEY_ENCRYPTION_KEY must be set when NODE_ENV=production (`openssl rand -base64 32`), or PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true to store private keys and secrets in clear',
      )
    }
    return { encryptionKey: null, allowUnencrypted }
  }
  const key = Buffer.from(raw, 'base64')
  if (key.length !== 32) {
    throw new ConfigError(
      'PORTCULLIS_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (`openssl rand -base64 32`)',
    )
  }
  return { encryptionKey: key, allowUnencrypted }
}

function argon2Params(env: Env) {
  const params = {
    memoryKib: int(env, 'PORTCULLIS_ARGON2_MEMORY_KIB', 19456, 8, 4_194_304),
    iterations: int(env, 'PORTCULLIS_ARGON2_ITERATIONS', 2, 1, 100),
    parallelism: int(env, 'PORTCULLIS_ARGON2_PARALLELISM', 1, 1, 16),
  }
  // argon2 needs at least 8 KiB per lane.
  if (params.memoryKib < 8 * params.parallelism) {
    throw new ConfigError(
      `PORTCULLIS_ARGON2_MEMORY_KIB must be at least 8 × PORTCULLIS_ARGON2_PARALLELISM (${8 * params.parallelism})`,
    )
  }
  return params
}

const loopback = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i

/**
 * Instances that share a PostgreSQL database must share one issuer: left to default, each one
 * names itself `http://host:port` and refuses the others' tokens (RFC 9068 §4, the `iss` claim
 * must match). So on PostgreSQL a missing PORTCULLIS_ISSUER is a ConfigError, except in
 * development on a loopback address, where this returns a warning to log instead (else null).
 */
export function sharedIssuerCheck(config: Config, env: Env = process.env): string | null {
  if (env.PORTCULLIS_ISSUER || config.databaseUrl.startsWith('sqlite:')) return null
  const why = `every instance on one PostgreSQL database needs the same issuer, or each refuses the others' tokens`
  if (config.env === 'development' && loopback.test(config.host)) {
    return `PORTCULLIS_ISSUER is not set: using ${config.issuer}; ${why}. Set it before running a second instance`
  }
  throw new ConfigError(
    `PORTCULLIS_ISSUER must be set when PORTCULLIS_DATABASE_URL is PostgreSQL: ${why}`,
  )
}

/**
 * Reads and validates the configuration. Throws ConfigError with one line naming the bad
 * variable. Production refuses to start without an explicit public issuer URL, and with rate
 * limits turned off.
 */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'])
  const host = env.PORTCULLIS_HOST || '127.0.0.1'
  const port = int(env, 'PORTCULLIS_PORT', 8000, 0, 65535)
  if (nodeEnv === 'production' && !env.PORTCULLIS_ISSUER) {
    throw new ConfigError(
      'PORTCULLIS_ISSUER must be set to the public https URL of this server when NODE_ENV=production',
    )
  }
  const issuer = url('PORTCULLIS_ISSUER', env.PORTCULLIS_ISSUER || `http://${host}:${port}`)
  if (nodeEnv === 'production' && !issuer.startsWith('https://')) {
    throw new ConfigError(
      `PORTCULLIS_ISSUER must be an https URL when NODE_ENV=production (got "${issuer}")`,
    )
  }
  const dataDir = resolve(env.PORTCULLIS_DATA_DIR || 'data')
  const databaseUrl = env.PORTCULLIS_DATABASE_URL || `sqlite:${resolve(dataDir, 'portcullis.db')}`
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      `PORTCULLIS_DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://… (got "${masked(databaseUrl)}")`,
    )
  }
  const scopes = [...new Set([...builtinScopes, ...scopeList(env, 'PORTCULLIS_SCOPES', ['email'])])]
  // The admin scope is never a default: an admin asks for it (least privilege).
  const defaultScopes = scopeList(
    env,
    'PORTCULLIS_DEFAULT_SCOPES',
    scopes.filter((s) => s !== 'admin'),
  )
  for (const scope of defaultScopes) {
    if (!scopes.includes(scope)) {
      throw new ConfigError(
        `PORTCULLIS_DEFAULT_SCOPES must be a subset of the offered scopes (${scopes.join(' ')})`,
      )
    }
  }
  const roles = parseRoles(env.PORTCULLIS_ROLES, scopes)
  if (typeof roles === 'string') throw new ConfigError(`PORTCULLIS_ROLES: ${roles}`)
  const passwordMinLength = int(env, 'PORTCULLIS_PASSWORD_MIN_LENGTH', 15, 8, 64)
  const passwordMaxLength = int(env, 'PORTCULLIS_PASSWORD_MAX_LENGTH', 256, 64, 256)
  const cpus = availableParallelism()
  const limitsEnabled = bool(env, 'PORTCULLIS_RATE_LIMITS', true)
  // Without throttling, online guessing is bounded only by hashing speed (NIST SP 800-63B-4 §3.2.2).
  if (nodeEnv === 'production' && !limitsEnabled) {
    throw new ConfigError(
      'PORTCULLIS_RATE_LIMITS=false is refused when NODE_ENV=production: login throttling and rate limits must stay on',
    )
  }
  return {
    env: nodeEnv,
    host,
    port,
    dataDir,
    databaseUrl,
    db: {
      poolSize: int(env, 'PORTCULLIS_DB_POOL_SIZE', 10, 1, 1000),
      timeoutMs: int(env, 'PORTCULLIS_DB_TIMEOUT_MS', 2000, 100, 60_000),
    },
    issuer,
    audience: headerSafe(env, 'PORTCULLIS_AUDIENCE', issuer),
    realm: headerSafe(env, 'PORTCULLIS_REALM', 'portcullis'),
    ...signing(env),
    keys: {
      publishSeconds: int(env, 'PORTCULLIS_KEY_PUBLISH_SECONDS', 900, 0, 30 * 86400),
      rotationSeconds: int(env, 'PORTCULLIS_KEY_ROTATION_DAYS', 0, 0, 3650) * 86400,
      reloadSeconds: int(env, 'PORTCULLIS_KEY_RELOAD_SECONDS', 30, 1, 3600),
      ...encryptionKey(env, nodeEnv),
    },
    accessTokenTtlSeconds: int(env, 'PORTCULLIS_ACCESS_TOKEN_TTL', 900, 60, 86400),
    session: {
      idleTtlSeconds: int(env, 'PORTCULLIS_SESSION_IDLE_TTL', 14 * 86400, 60, 366 * 86400),
      absoluteTtlSeconds: int(env, 'PORTCULLIS_SESSION_MAX_TTL', 90 * 86400, 60, 5 * 366 * 86400),
      graceSeconds: int(env, 'PORTCULLIS_REFRESH_GRACE_SECONDS', 0, 0, 60),
    },
    purgeIntervalSeconds: int(env, 'PORTCULLIS_PURGE_INTERVAL', 3600, 10, 86400),
    tokenCacheSize: int(env, 'PORTCULLIS_TOKEN_CACHE_SIZE', 10000, 0, 1_000_000),
    // Off on PostgreSQL: other instances write there, and revocation must reach them at once.
    statusCacheMs: int(
      env,
      'PORTCULLIS_STATUS_CACHE_MS',
      databaseUrl.startsWith('sqlite:') ? 1000 : 0,
      0,
      60_000,
    ),
    scopes,
    defaultScopes,
    roles,
    clientId: headerSafe(env, 'PORTCULLIS_CLIENT_ID', 'portcullis'),
    requireClient: bool(env, 'PORTCULLIS_REQUIRE_CLIENT', false),
    auditRetentionDays: int(env, 'PORTCULLIS_AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    bootstrapAdmin: bootstrapAdmin(env),
    argon2: argon2Params(env),
    hashConcurrency: int(env, 'PORTCULLIS_HASH_CONCURRENCY', cpus, 1, 256),
    hashQueueLimit: int(env, 'PORTCULLIS_HASH_QUEUE_LIMIT', 64, 0, 100_000),
    passwordMinLength,
    passwordMaxLength,
    ...timeouts(env),
    logLevel: oneOf(env, 'PORTCULLIS_LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    trustProxy: parsed(env, 'PORTCULLIS_TRUST_PROXY', parseTrustProxy),
    cors: corsConfig(env),
    maxEventLoopDelayMs: int(env, 'PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
    limits: {
      enabled: limitsEnabled,
      loginIpFailures: int(env, 'PORTCULLIS_LOGIN_IP_FAILURES', 50, 1, 1_000_000),
      loginIpWindowSeconds: int(env, 'PORTCULLIS_LOGIN_IP_WINDOW', 900, 1, 86_400),
      loginDelayAfter: int(env, 'PORTCULLIS_LOGIN_DELAY_AFTER', 5, 1, 100),
      loginSlowAfter: int(env, 'PORTCULLIS_LOGIN_SLOW_AFTER', 20, 1, 100),
      // NIST SP 800-63B-4: at most 100 consecutive failed attempts per account.
      loginHardLimit: int(env, 'PORTCULLIS_LOGIN_HARD_LIMIT', 100, 1, 100),
      loginMaxDelaySeconds: int(env, 'PORTCULLIS_LOGIN_MAX_DELAY', 900, 60, 86_400),
      registerPerHour: int(env, 'PORTCULLIS_REGISTER_LIMIT', 20, 1, 1_000_000),
      requestsPerMinute: int(env, 'PORTCULLIS_REQUEST_LIMIT', 300, 1, 1_000_000),
    },
  }
}
