import type { Registry } from 'prom-client'
import { AccessTokens } from './auth/access-tokens.js'
import { AuditService } from './auth/audit.js'
import { AuthorizationFlow } from './auth/authorization/flow.js'
import { BrowserSessions } from './auth/browser-sessions.js'
import { ClientService } from './auth/clients.js'
import { ConsentService } from './auth/consents.js'
import { createKeyring } from './auth/create-keyring.js'
import { EmailChange } from './auth/email-change.js'
import { EmailTokens } from './auth/email-tokens.js'
import { EmailVerification } from './auth/email-verification.js'
import { TokenGrants } from './auth/grants/token-grants.js'
import { IdTokens } from './auth/id-tokens.js'
import { KeySealer } from './auth/key-sealer.js'
import type { Keyring } from './auth/keys.js'
import { LoginThrottle, NoLoginThrottle } from './auth/login-throttle.js'
import { MachineTokens } from './auth/machine-tokens.js'
import { MailLimits } from './auth/mail-limits.js'
import { MfaLogins } from './auth/mfa/mfa-logins.js'
import { MfaNotices } from './auth/mfa/mfa-notices.js'
import { MfaService } from './auth/mfa/mfa-service.js'
import { PasskeyLogins } from './auth/mfa/passkey-logins.js'
import { PasskeySignIn } from './auth/mfa/passkey-sign-in.js'
import { type PasskeyDeps, Passkeys } from './auth/mfa/passkeys.js'
import { PasswordHasher } from './auth/password-hasher.js'
import { PasswordRecovery } from './auth/password-recovery.js'
import { NoRateLimits, RateLimiter } from './auth/rate-limiter.js'
import { RpLogout } from './auth/rp-logout.js'
import { serverSecret } from './auth/server-secrets.js'
import { type ReuseEvent, SessionService } from './auth/sessions.js'
import { UserAdmin } from './auth/user-admin.js'
import { UserService } from './auth/users.js'
import { WorkLimiter } from './auth/work-limiter.js'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { type Loggers, silentLoggers } from './loggers.js'
import { MailSender } from './mail/sender.js'
import { createMailTransport } from './mail/transport.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { privateRegistry } from './metrics/registry.js'
import { withStatusCache } from './store/status-cache.js'
import type { Store } from './store/store.js'

/** Everything the routes and the CLI use, built once from config, store, clock and loggers. */
export interface Services {
  config: Config
  store: Store
  clock: Clock
  /** Where the app, the audit sink and the timers log. */
  logs: Loggers
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
  emailTokens: EmailTokens
  recovery: PasswordRecovery
  verification: EmailVerification
  emailChange: EmailChange
  /** Drains the mail outbox; started by the process (src/timers.ts), never by the app. */
  mailSender: MailSender
  /** OpenID Connect ID tokens (signed by the key ring). */
  idTokens: IdTokens
  /** The provider's login sessions in browsers (the hosted login page's cookie). */
  browserSessions: BrowserSessions
  /** The authorization endpoint's logic (RFC 6749 §4.1, OpenID Connect Core §3.1). */
  authorization: AuthorizationFlow
  /** The checks of RP-initiated logout requests (the end-session endpoint). */
  logout: RpLogout
  /** What users allowed third-party clients: listing and revoking consents. */
  consents: ConsentService
  /** Users' second factors: TOTP, recovery codes, listing, removal, reset. */
  mfa: MfaService
  /** The second step of a password sign-in (the `mfa_token`). */
  mfaLogins: MfaLogins
  /** Users' passkeys (WebAuthn): registration, listing, renaming, removal. */
  passkeys: Passkeys
  /** Signing in with a passkey: alone (username-less) or as the second factor. */
  passkeySignIn: PasskeySignIn
  /** Passkey sign-ins at the hosted login page (browser sessions). */
  passkeyLogins: PasskeyLogins
  /** The `portcullis_*` metrics and their registry (what the metrics listener renders). */
  metrics: Metrics
}

/**
 * The composition root: builds every service complete (nothing is patched in later), loads (or
 * creates) the signing key and computes the dummy hash. Audit records and refresh-token reuse
 * are logged through `logs.app`; by default nothing is logged (the CLI). The metrics go to
 * `registry`: by default one of their own (the CLI, tests); the server passes the process's.
 */
export async function createServices(
  config: Config,
  rawStore: Store,
  clock: Clock,
  logs: Loggers = silentLoggers(),
  registry: Registry = privateRegistry(),
): Promise<Services> {
  const metrics = createMetrics(registry)
  const store = withStatusCache(
    metrics.timed(rawStore),
    clock,
    config.store.statusCacheMs,
    logs.app,
  )
  const { concurrency, queueLimit } = config.hashing
  const limiter = new WorkLimiter(concurrency, queueLimit, metrics.hashing)
  const hasher = new PasswordHasher(config.hashing.argon2, limiter)
  const sealer = new KeySealer(config.keys.encryptionKey)
  const keyring = createKeyring(config.keys, store, clock)
  await Promise.all([keyring.load(), store.users.maxLegacyCost().then((cost) => hasher.init(cost))])
  metrics.watch({ store, keyring, clock, limiter })
  const tokens = new AccessTokens(keyring, clock, {
    ...config.tokens,
    resources: config.authorization.resources,
  })
  const audit = new AuditService(store.audit, clock, {
    sink: (record) => {
      metrics.signIns.audited(record)
      logs.app.info({ audit: record }, `audit ${record.type}`)
    },
    onError: (error) => logs.app.error({ err: error }, 'audit record not stored'),
  })
  const onReuse = async (event: ReuseEvent) => {
    metrics.tokens.reused()
    logs.app.warn(
      { event: 'refresh_token_reuse', ...event },
      'refresh token reused: session revoked',
    )
    await audit.record({
      type: 'refresh.reuse',
      outcome: 'failure',
      userId: event.userId,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      detail: { session_id: event.sessionId },
    })
  }
  const createdAt = new Date(clock.now()).toISOString()
  const rotationKey = await serverSecret(store, sealer, 'refresh-rotation-key', createdAt)
  const sessions = new SessionService(store, clock, config.sessions, rotationKey, {
    onReuse,
    onRotate: metrics.tokens.rotated,
  })
  const deviceKey = await serverSecret(store, sealer, 'device-key', createdAt)
  const { limits } = config
  // Where limits are off the limiters do nothing: decided here, asked nowhere else.
  const throttle = new (limits.enabled ? LoginThrottle : NoLoginThrottle)(
    store.counters,
    clock,
    limits.login,
    deviceKey,
    metrics.signIns.throttled,
  )
  const rateLimiter = new (limits.enabled ? RateLimiter : NoRateLimits)(store.counters, clock)
  const users = new UserService(store, hasher, config.passwords, clock, config.roles)
  const clients = new ClientService(store, audit, clock, {
    scopes: config.scopes.offered,
    builtinId: config.clients.builtinId,
    issuer: config.tokens.issuer,
    resources: config.authorization.resources,
  })
  const idTokens = new IdTokens(keyring, clock, {
    issuer: config.tokens.issuer,
    ttlSeconds: config.tokens.ttlSeconds,
  })
  const { flows } = config.mail
  const emailTokens = new EmailTokens(store, clock, {
    brand: { productName: flows.productName, publicUrl: flows.publicUrl },
    resetTtlSeconds: flows.resetTtlSeconds,
    verifyTtlSeconds: flows.verifyTtlSeconds,
  })
  const recoveryCodeKey = await serverSecret(store, sealer, 'recovery-code-key', createdAt)
  const mfa = new MfaService(
    { store, sealer, clock, audit, emailTokens, recoveryCodeKey },
    { productName: flows.productName, notices: flows.enabled },
  )
  const mfaLogins = new MfaLogins({ store, mfa, throttle, audit, clock })
  const browserSessions = new BrowserSessions(
    store,
    clock,
    { users, throttle, audit },
    {
      ...config.authorization.browserSession,
      requireVerifiedEmail: config.mail.flows.requireVerified,
      mfaRequiredRoles: config.mfa.requiredRoles,
    },
    { mfa, mfaLogins },
  )
  const authorization = new AuthorizationFlow(
    { store, clock, audit, findClient: (id) => clients.find(id) },
    {
      issuer: config.tokens.issuer,
      scopes: config.scopes.offered,
      defaultScopes: config.scopes.defaults,
      roles: config.roles,
      resources: config.authorization.resources,
      openid: config.keys.alg !== 'HS256',
    },
  )
  const grants = new TokenGrants(
    {
      users,
      sessions,
      tokens,
      throttle,
      rateLimiter,
      audit,
      idTokens,
      browserSessions,
      codes: store.authorizationCodes,
      clock,
      mfa,
      mfaLogins,
    },
    {
      scopes: config.scopes.offered,
      defaultScopes: config.scopes.defaults,
      roles: config.roles,
      accessTokenTtlSeconds: config.tokens.ttlSeconds,
      requestsPerMinute: limits.requestsPerMinute,
      requireVerifiedEmail: config.mail.flows.requireVerified,
      resources: config.authorization.resources,
      passwordGrant: config.authorization.passwordGrant,
      mfaRequiredRoles: config.mfa.requiredRoles,
    },
    metrics.tokens.issued,
  )
  const mailLimits = new MailLimits(rateLimiter, flows)
  const verification = new EmailVerification({
    store,
    emailTokens,
    audit,
    clock,
    limits: mailLimits,
  })
  const emailChange = new EmailChange({ store, users, emailTokens, audit, limits: mailLimits })
  const recovery = new PasswordRecovery(
    {
      store,
      emailTokens,
      hasher,
      throttle,
      limits: mailLimits,
      audit,
      clock,
      onError: (error) => logs.app.error({ err: error }, 'password reset link not issued'),
    },
    config.passwords,
    config.mail.flows,
  )
  return {
    config,
    store,
    clock,
    logs,
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
    userAdmin: new UserAdmin(store, audit, clock, config.roles, users, emailTokens),
    consents: new ConsentService(store, audit, clock),
    grants,
    emailTokens,
    recovery,
    verification,
    emailChange,
    // Without PORTCULLIS_SMTP_URL the console transport prints each message (development only:
    // configuration refuses it in production while the email flows are on).
    mailSender: new MailSender(
      store.outbox,
      createMailTransport(config.mail.delivery),
      clock,
      config.mail.delivery,
      logs.app,
    ),
    idTokens,
    browserSessions,
    authorization,
    logout: new RpLogout({ idTokens, findClient: (id) => clients.find(id) }),
    mfa,
    mfaLogins,
    ...passkeyServices(
      config,
      { store, audit, clock, notices: new MfaNotices(emailTokens, flows.enabled) },
      browserSessions,
    ),
    metrics,
  }
}

/** The passkey services over one relying party: the issuer's host and `config.mfa.origins`. */
function passkeyServices(
  config: Config,
  deps: PasskeyDeps & { store: Store },
  browserSessions: BrowserSessions,
) {
  const { rpId, origins } = config.mfa
  const rp = { rpId, origins, rpName: config.mail.flows.productName }
  const signIn = new PasskeySignIn(deps, rp)
  const logins = new PasskeyLogins({ ...deps, signIn, sessions: browserSessions })
  return { passkeys: new Passkeys(deps, rp), passkeySignIn: signIn, passkeyLogins: logins }
}
