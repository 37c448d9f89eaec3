import type * as R from './records.js'
import { table } from './table.js'

// Each table's one mapping: the record's fields in column order (see table.ts).
export const users = table<R.UserRecord>()(
  'users',
  'id username email emailCanonical fullName passwordHash disabled roles createdAt updatedAt emailVerified',
  { disabled: 'bool', roles: 'roles', emailVerified: 'bool' },
)
export const signingKeys = table<R.SigningKeyRecord>()(
  'signing_keys',
  'kid alg publicJwk privateJwk createdAt activatesAt retiredAt',
)
export const sessions = table<R.SessionRecord>()(
  'sessions',
  'id userId clientId scope ip userAgent createdAt lastUsedAt idleExpiresAt absoluteExpiresAt revokedAt resource browserSessionId amr authTime',
  { amr: 'list' },
)
export const refreshTokens = table<R.RefreshTokenRecord>()(
  'refresh_tokens',
  'hash sessionId createdAt spentAt',
)
export const clients = table<R.ClientRecord>()(
  'clients',
  'id name secretHash grantTypes scopes introspect registrationId createdAt updatedAt redirectUris postLogoutRedirectUris firstParty resource',
  {
    grantTypes: 'list',
    scopes: 'list',
    introspect: 'bool',
    redirectUris: 'list',
    postLogoutRedirectUris: 'list',
    firstParty: 'bool',
  },
)
export const auditEvents = table<R.AuditRecord>()(
  'audit_events',
  'id at type outcome userId clientId actorId ip userAgent detail',
)
export const revokedTokens = table<R.RevokedTokenRecord>()('revoked_tokens', 'jti expiresAt')
export const serverSecrets = table<R.SecretRecord>()('server_secrets', 'name value createdAt')
export const throttle = table<R.CounterRecord>()(
  'throttle',
  'windowStart count blockedUntil expiresAt',
)

export const emailTokens = table<R.EmailTokenRecord>()(
  'email_tokens',
  'hash purpose userId email emailCanonical createdAt expiresAt usedAt',
)
export const mailOutbox = table<R.OutboxRecord>()(
  'mail_outbox',
  'id kind recipient subject textBody htmlBody createdAt attempts nextAttemptAt claimedBy claimedUntil sentAt failedAt lastError',
)
export const authorizationCodes = table<R.AuthorizationCodeRecord>()(
  'authorization_codes',
  'hash clientId userId redirectUri codeChallenge scope nonce resource browserSessionId authTime amr createdAt expiresAt usedAt sessionId',
  { amr: 'list' },
)
export const browserSessions = table<R.BrowserSessionRecord>()(
  'browser_sessions',
  'id secretHash userId authTime amr ip userAgent createdAt lastSeenAt idleExpiresAt absoluteExpiresAt endedAt',
  { amr: 'list' },
)
export const consents = table<R.ConsentRecord>()(
  'consents',
  'userId clientId scopes createdAt updatedAt',
  { scopes: 'list' },
)

/** The record `users.create` and `users.importMany` store for `user`, defaults filled in. */
export function newUserRecord(user: R.NewUser): R.UserRecord {
  return {
    ...user,
    roles: user.roles ?? ['user'],
    disabled: user.disabled ?? false,
    emailVerified: user.emailVerified ?? false,
    updatedAt: user.createdAt,
  }
}
export const mfaFactors = table<R.MfaFactorRecord>()(
  'mfa_factors',
  'id userId kind name secret lastStep credentialId publicKey signCount transports backupEligible backedUp createdAt confirmedAt lastUsedAt',
  { transports: 'list', backupEligible: 'bool', backedUp: 'bool' },
)
export const recoveryCodes = table<R.RecoveryCodeRecord>()(
  'recovery_codes',
  'hash userId createdAt usedAt',
)
export const mfaTokens = table<R.MfaTokenRecord>()(
  'mfa_tokens',
  'hash userId clientId scope resource authTime attempts createdAt expiresAt usedAt',
)
export const webauthnChallenges = table<R.WebAuthnChallengeRecord>()(
  'webauthn_challenges',
  'id challenge purpose userId createdAt expiresAt usedAt',
)
