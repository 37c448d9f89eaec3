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
  'id userId clientId scope ip userAgent createdAt lastUsedAt idleExpiresAt absoluteExpiresAt revokedAt',
)
export const refreshTokens = table<R.RefreshTokenRecord>()(
  'refresh_tokens',
  'hash sessionId createdAt spentAt',
)
export const clients = table<R.ClientRecord>()(
  'clients',
  'id name secretHash grantTypes scopes introspect registrationId createdAt updatedAt',
  { grantTypes: 'list', scopes: 'list', introspect: 'bool' },
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
