import { decodeList } from './lists.js'
import type {
  AuditRecord,
  ClientRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from './store.js'

// Rows as node-postgres returns them (snake_case, timestamptz as Date), and their records.

export interface UserRow {
  id: string
  username: string
  email: string | null
  email_canonical: string | null
  full_name: string | null
  password_hash: string
  disabled: boolean
  created_at: Date
  updated_at: Date
  roles: string
}

export interface KeyRow {
  kid: string
  alg: string
  public_jwk: string
  private_jwk: string | null
  created_at: Date
  retired_at: Date | null
  activates_at: Date
}

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  email: r.email,
  emailCanonical: r.email_canonical,
  fullName: r.full_name,
  passwordHash: r.password_hash,
  disabled: r.disabled,
  roles: decodeList(r.roles),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export const toKey = (r: KeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: r.public_jwk,
  privateJwk: r.private_jwk,
  createdAt: r.created_at.toISOString(),
  retiredAt: r.retired_at?.toISOString() ?? null,
  activatesAt: r.activates_at.toISOString(),
})

export interface SessionRow {
  id: string
  user_id: string
  client_id: string
  scope: string
  ip: string | null
  user_agent: string | null
  created_at: Date
  last_used_at: Date
  idle_expires_at: Date
  absolute_expires_at: Date
  revoked_at: Date | null
}

export interface TokenRow {
  hash: string
  session_id: string
  created_at: Date
  spent_at: Date | null
}

export const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  scope: r.scope,
  ip: r.ip,
  userAgent: r.user_agent,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at.toISOString(),
  idleExpiresAt: r.idle_expires_at.toISOString(),
  absoluteExpiresAt: r.absolute_expires_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
})

export const toToken = (r: TokenRow): RefreshTokenRecord => ({
  hash: r.hash,
  sessionId: r.session_id,
  createdAt: r.created_at.toISOString(),
  spentAt: r.spent_at?.toISOString() ?? null,
})

export interface ClientRow {
  id: string
  name: string
  secret_hash: string | null
  grant_types: string
  scopes: string
  introspect: boolean
  registration_id: string
  created_at: Date
  updated_at: Date
}

export const toClient = (r: ClientRow): ClientRecord => ({
  id: r.id,
  name: r.name,
  secretHash: r.secret_hash,
  grantTypes: decodeList(r.grant_types),
  scopes: decodeList(r.scopes),
  introspect: r.introspect,
  registrationId: r.registration_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export interface AuditRow {
  id: string
  at: Date
  type: string
  outcome: AuditRecord['outcome']
  user_id: string | null
  client_id: string | null
  actor_id: string | null
  ip: string | null
  user_agent: string | null
  detail: string | null
}

export const toAudit = (r: AuditRow): AuditRecord => ({
  id: r.id,
  at: r.at.toISOString(),
  type: r.type,
  outcome: r.outcome,
  userId: r.user_id,
  clientId: r.client_id,
  actorId: r.actor_id,
  ip: r.ip,
  userAgent: r.user_agent,
  detail: r.detail,
})
