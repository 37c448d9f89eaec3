import type { PasswordPolicy } from './auth/password-policy.js'
import type { RoleTable } from './auth/roles.js'
import type { SessionPolicy } from './auth/sessions.js'
import {
  accessRows,
  type ClientsConfig,
  readClients,
  readRoles,
  readScopes,
  type ScopesConfig,
} from './config/access.js'
import { adminRows, type BootstrapAdminConfig, readBootstrapAdmin } from './config/admin.js'
import {
  type AuthorizationConfig,
  authorizationRows,
  readAuthorization,
} from './config/authorization.js'
import { ConfigError, type Env, type Row, tableLine } from './config/define.js'
import { type KeysConfig, keyRows, readKeys } from './config/keys.js'
import { type LimitsConfig, limitRows, readLimits } from './config/limits.js'
import { type MailConfig, mailRows, readMail } from './config/mail.js'
import { type MfaConfig, mfaRows, readMfa } from './config/mfa.js'
import {
  type MetricsConfig,
  operationsRows,
  readMetrics,
  readWorkers,
  type WorkersConfig,
} from './config/operations.js'
import { type HashingConfig, passwordRows, readHashing, readPasswords } from './config/passwords.js'
import {
  type HttpConfig,
  httpRows,
  type ListenConfig,
  type NodeEnv,
  readHttp,
  readListen,
  readNodeEnv,
  serverRows,
} from './config/server.js'
import {
  type HousekeepingConfig,
  housekeepingRows,
  readHousekeeping,
  readSessions,
  sessionRows,
} from './config/sessions.js'
import { readStore, type StoreConfig, storeRows } from './config/store.js'
import {
  issuerRows,
  readIssuer,
  readTokens,
  type TokensConfig,
  tokenRows,
} from './config/tokens.js'

export { ConfigError } from './config/define.js'

/**
 * Everything the server reads from its environment, validated, by section. Each section is the
 * options object of the part that uses it, so the composition root passes it through whole.
 */
export interface Config {
  env: NodeEnv
  listen: ListenConfig
  /** The HTTP server's timeouts, logging, proxy trust, load shedding and CORS (buildApp). */
  http: HttpConfig
  store: StoreConfig
  /** AccessTokens' options, and the challenge realm. */
  tokens: TokensConfig
  /** createKeyring's options. */
  keys: KeysConfig
  /** SessionService's policy. */
  sessions: SessionPolicy
  /** The purge timer: its interval and the audit retention. */
  housekeeping: HousekeepingConfig
  /** The password length policy (UserService, bootstrap admin, CLI). */
  passwords: PasswordPolicy
  /** PasswordHasher's argon2 cost and the WorkLimiter's bounds. */
  hashing: HashingConfig
  /** LoginThrottle's policy (`login`) and the per-IP rate limits. */
  limits: LimitsConfig
  scopes: ScopesConfig
  /** Role name → scopes it grants. */
  roles: RoleTable
  clients: ClientsConfig
  /** Mail delivery (SMTP and the outbox sender) and the email flows. */
  mail: MailConfig
  /** The authorization code flow, browser sessions, the password grant switch and resources. */
  authorization: AuthorizationConfig
  /** Second factors, passkeys (WebAuthn) and step-up. */
  mfa: MfaConfig
  /** Read once at server start: creates this admin if no user has the username. */
  bootstrapAdmin: BootstrapAdminConfig | null
  /** How many worker processes share the port. */
  workers: WorkersConfig
  /** The separate Prometheus listener, or null for none. */
  metrics: MetricsConfig
}

/** The README's configuration table rows, in its order: one per variable (or pair). */
export const configRows: readonly Row[] = [
  ...serverRows,
  ...storeRows,
  ...issuerRows,
  ...keyRows,
  ...tokenRows,
  ...sessionRows,
  ...housekeepingRows,
  ...accessRows,
  ...adminRows,
  ...passwordRows,
  ...httpRows,
  ...operationsRows,
  ...limitRows,
  ...mailRows,
  ...authorizationRows,
  ...mfaRows,
]

/** The README's configuration table body, generated from the definitions (`npm run config-table`). */
export const configTable = () => configRows.map(tableLine).join('\n')

const loopback = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i

/**
 * Instances that share a PostgreSQL database must share one issuer: left to default, each one
 * names itself `http://host:port` and refuses the others' tokens (RFC 9068 §4, the `iss` claim
 * must match). So on PostgreSQL a missing PORTCULLIS_ISSUER is a ConfigError, except in
 * development on a loopback address, where this returns a warning to log instead (else null).
 */
export function sharedIssuerCheck(config: Config, env: Env = process.env): string | null {
  if (env.PORTCULLIS_ISSUER || config.store.databaseUrl.startsWith('sqlite:')) return null
  const why = `every instance on one PostgreSQL database needs the same issuer, or each refuses the others' tokens`
  if (config.env === 'development' && loopback.test(config.listen.host)) {
    return `PORTCULLIS_ISSUER is not set: using ${config.tokens.issuer}; ${why}. Set it before running a second instance`
  }
  throw new ConfigError(
    `PORTCULLIS_ISSUER must be set when PORTCULLIS_DATABASE_URL is PostgreSQL: ${why}`,
  )
}

/**
 * Reads and validates the configuration. Throws ConfigError with one line naming the bad
 * variable. Production refuses to start without an explicit public https issuer URL, with rate
 * limits turned off, and without a key encryption key unless storing keys in clear is allowed.
 */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = readNodeEnv(env)
  const listen = readListen(env)
  const issuer = readIssuer(env, nodeEnv, listen)
  const store = readStore(env)
  const scopes = readScopes(env)
  const roles = readRoles(env, scopes.offered)
  const passwords = readPasswords(env)
  const limits = readLimits(env, nodeEnv)
  const tokens = readTokens(env, issuer)
  return {
    env: nodeEnv,
    listen,
    store,
    tokens,
    keys: readKeys(env, nodeEnv, tokens.ttlSeconds),
    sessions: readSessions(env),
    housekeeping: readHousekeeping(env),
    scopes,
    roles,
    clients: readClients(env),
    mail: readMail(env, nodeEnv, issuer),
    authorization: readAuthorization(env),
    mfa: readMfa(env, issuer, roles),
    bootstrapAdmin: readBootstrapAdmin(env),
    passwords,
    hashing: readHashing(env),
    http: readHttp(env),
    limits,
    workers: readWorkers(env),
    metrics: readMetrics(env, listen),
  }
}
