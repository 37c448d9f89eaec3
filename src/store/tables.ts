import type {
  AuditRecord,
  ClientRecord,
  CounterRecord,
  NewUser,
  RefreshTokenRecord,
  RevokedTokenRecord,
  SecretRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from './store.js'
import { table } from './table.js'

// Each table's one mapping: the record's fields in column order (see table.ts).

export const users = table<UserRecord>()(
  'users',
  'id username email emailCanonical fullName passwordHash disabled roles createdAt updatedAt',
  { disabled: 'bool', roles: 'roles' },
)

export const signingKeys = table<SigningKeyRecord>()(
  'signing_keys',
  'kid alg publicJwk privateJwk createdAt activatesAt retiredAt',
)

export const sessions = table<SessionRecord>()(
  'sessions',
  'id userId clientId scope ip userAgent createdAt lastUsedAt idleExpiresAt absoluteExpiresAt revokedAt',
)

export const refreshTokens = table<RefreshTokenRecord>()(
  'refresh_tokens',
  'hash sessionId createdAt spentAt',
)

export const clients = table<ClientRecord>()(
  'clients',
  'id name secretHash grantTypes scopes introspect registrationId createdAt updatedAt',
  { grantTypes: 'list', scopes: 'list', introspect: 'bool' },
)

export const auditEvents = table<AuditRecord>()(
  'audit_events',
  'id at type outcome userId clientId actorId ip userAgent detail',
)

export const revokedTokens = table<RevokedTokenRecord>()('revoked_tokens', 'jti expiresAt')
export const serverSecrets = table<SecretRecord>()('server_secrets', 'name value createdAt')
export const throttle = table<CounterRecord>()(
  'throttle',
  'windowStart count blockedUntil expiresAt',
)

/** The record `users.create` and `users.importMany` store for `user`, defaults filled in. */
export function newUserRecord(user: NewUser): UserRecord {
  return {
    ...user,
    roles: user.roles ?? ['user'],
    disabled: user.disabled ?? false,
    updatedAt: user.createdAt,
  }
}
