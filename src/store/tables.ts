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

// Each table's one mapping: columns are the fields in snake_case; the order is the insert's.

export const users = table<UserRecord>('users', {
  id: 'value',
  username: 'value',
  email: 'value',
  emailCanonical: 'value',
  fullName: 'value',
  passwordHash: 'value',
  disabled: 'bool',
  roles: 'roles',
  createdAt: 'value',
  updatedAt: 'value',
})

export const signingKeys = table<SigningKeyRecord>('signing_keys', {
  kid: 'value',
  alg: 'value',
  publicJwk: 'value',
  privateJwk: 'value',
  createdAt: 'value',
  activatesAt: 'value',
  retiredAt: 'value',
})

export const sessions = table<SessionRecord>('sessions', {
  id: 'value',
  userId: 'value',
  clientId: 'value',
  scope: 'value',
  ip: 'value',
  userAgent: 'value',
  createdAt: 'value',
  lastUsedAt: 'value',
  idleExpiresAt: 'value',
  absoluteExpiresAt: 'value',
  revokedAt: 'value',
})

export const refreshTokens = table<RefreshTokenRecord>('refresh_tokens', {
  hash: 'value',
  sessionId: 'value',
  createdAt: 'value',
  spentAt: 'value',
})

export const clients = table<ClientRecord>('clients', {
  id: 'value',
  name: 'value',
  secretHash: 'value',
  grantTypes: 'list',
  scopes: 'list',
  introspect: 'bool',
  registrationId: 'value',
  createdAt: 'value',
  updatedAt: 'value',
})

export const auditEvents = table<AuditRecord>('audit_events', {
  id: 'value',
  at: 'value',
  type: 'value',
  outcome: 'value',
  userId: 'value',
  clientId: 'value',
  actorId: 'value',
  ip: 'value',
  userAgent: 'value',
  detail: 'value',
})

export const revokedTokens = table<RevokedTokenRecord>('revoked_tokens', {
  jti: 'value',
  expiresAt: 'value',
})

export const serverSecrets = table<SecretRecord>('server_secrets', {
  name: 'value',
  value: 'value',
  createdAt: 'value',
})

export const throttle = table<CounterRecord>('throttle', {
  windowStart: 'value',
  count: 'value',
  blockedUntil: 'value',
  expiresAt: 'value',
})

/** The record `users.create` and `users.importMany` store for `user`, defaults filled in. */
export function newUserRecord(user: NewUser): UserRecord {
  return {
    ...user,
    roles: user.roles ?? ['user'],
    disabled: user.disabled ?? false,
    updatedAt: user.createdAt,
  }
}
