import { AccessTokens } from './auth/access-tokens.js'
import { AuditService } from './auth/audit.js'
import { ClientService } from './auth/clients.js'
import { TokenGrants } from './auth/grants/token-grants.js'
import { KeySealer } from './auth/key-sealer.js'
import { Keyring } from './auth/keys.js'
import { LoginThrottle, NoLoginThrottle } from './auth/login-throttle.js'
import { MachineTokens } from './auth/machine-tokens.js'
import { PasswordHasher } from './auth/password-hasher.js'
import { NoRateLimits, RateLimiter } from './auth/rate-limiter.js'
import { serverSecret } from './auth/server-secrets.js'
import { SessionService } from './auth/sessions.js'
import { UserAdmin } from './auth/user-admin.js'
import { UserService } from './auth/users.js'
import { WorkLimiter } from './auth/work-limiter.js'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { withStatusCache } from './store/status-cache.js'
import type { Store } from './store/store.js'

/** Everything the routes and the CLI use, built once from config, store and clock. */
export interface Services {
  config: Config
  store: Store
  clock: Clock
  limiter: WorkLimiter
  hasher: PasswordHasher
  keyring: Keyring
  tokens: AccessTokens
  users: UserService
  sessions: SessionService
  throttle: LoginThrottle
  rateLimiter: RateLimiter
  audit: AuditService
  clients: ClientService
  machineTokens: MachineTokens
  userAdmin: UserAdmin
  grants: TokenGrants
}

/** Builds the services: loads (or creates) the signing key and computes the dummy hash. */
export async function createServices(
  config: Config,
  rawStore: Store,
  clock: Clock,
): Promise<Services> {
  const store = withStatusCache(rawStore, clock, config.statusCacheMs)
  const limiter = new WorkLimiter(config.hashConcurrency, config.hashQueueLimit)
  const hasher = new PasswordHasher(config.argon2, limiter)
  const sealer = new KeySealer(config.keys.encryptionKey)
  const keyring = new Keyring(
    store,
    {
      alg: config.signingAlg,
      tokenTtlSeconds: config.accessTokenTtlSeconds,
      publishSeconds: config.keys.publishSeconds,
      rotationSeconds: config.keys.rotationSeconds,
      sealer,
      sharedSecret: config.jwtSecret,
    },
    clock,
  )
  await Promise.all([keyring.load(), store.users.maxLegacyCost().then((cost) => hasher.init(cost))])
  const tokens = new AccessTokens(keyring, clock, {
    issuer: config.issuer,
    audience: config.audience,
    ttlSeconds: config.accessTokenTtlSeconds,
    cacheSize: config.tokenCacheSize,
  })
  const createdAt = new Date(clock.now()).toISOString()
  const rotationKey = await serverSecret(store, sealer, 'refresh-rotation-key', createdAt)
  const sessions = new SessionService(store, clock, config.session, rotationKey)
  const deviceKey = await serverSecret(store, sealer, 'device-key', createdAt)
  const { limits } = config
  // Where limits are off the limiters do nothing: decided here, asked nowhere else.
  const throttle = new (limits.enabled ? LoginThrottle : NoLoginThrottle)(
    store.counters,
    clock,
    {
      ipFailures: limits.loginIpFailures,
      ipWindowSeconds: limits.loginIpWindowSeconds,
      pairFailures: limits.loginDelayAfter,
      accountFailures: limits.loginSlowAfter,
      accountHardLimit: limits.loginHardLimit,
      maxDelaySeconds: limits.loginMaxDelaySeconds,
    },
    deviceKey,
  )
  const rateLimiter = new (limits.enabled ? RateLimiter : NoRateLimits)(store.counters, clock)
  const users = new UserService(
    store,
    hasher,
    { minLength: config.passwordMinLength, maxLength: config.passwordMaxLength },
    clock,
    config.roles,
  )
  const audit = new AuditService(store.audit, clock)
  const clients = new ClientService(store, audit, clock, {
    scopes: config.scopes,
    builtinId: config.clientId,
  })
  const userAdmin = new UserAdmin(store, audit, clock, config.roles, users)
  const { scopes, defaultScopes, roles, accessTokenTtlSeconds } = config
  const grants = new TokenGrants(
    { users, sessions, tokens, throttle, rateLimiter, audit },
    {
      scopes,
      defaultScopes,
      roles,
      accessTokenTtlSeconds,
      requestsPerMinute: limits.requestsPerMinute,
    },
  )
  return {
    config,
    store,
    clock,
    limiter,
    hasher,
    keyring,
    tokens,
    users,
    sessions,
    throttle,
    rateLimiter,
    audit,
    clients,
    machineTokens: new MachineTokens(store, clock),
    userAdmin,
    grants,
  }
}
