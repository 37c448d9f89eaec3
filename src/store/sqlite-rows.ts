import { decodeList } from './lists.js'
import type {
  AuditRecord,
  ClientRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from './store.js'

// Rows as better-sqlite3 returns them (snake_case, booleans as 0/1), and their records.

export interface UserRow {
  id: string
  username: string
  email: string | null
  email_canonical: string | null
  full_name: string | null
  password_hash: string
  disabled: number
  created_at: string
  updated_at: string
  roles: string
}

export interface KeyRow {
  kid: string
  alg: string
  public_jwk: string
  private_jwk: string | null
  created_at: string
  retired_at: string | null
  activates_at: string
}

export const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  email: row.email,
  emailCanonical: row.email_canonical,
  fullName: row.full_name,
  passwordHash: row.password_hash,
  disabled: row.disabled === 1,
  roles: decodeList(row.roles),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

export const toKey = (row: KeyRow): SigningKeyRecord => ({
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.public_jwk,
  privateJwk: row.private_jwk,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
  activatesAt: row.activates_at,
})

export interface SessionRow {
  id: string
  user_id: string
  client_id: string
  scope: string
  ip: string | null
  user_agent: string | null
  created_at: string
  last_used_at: string
  idle_expires_at: string
  absolute_expires_at: string
  revoked_at: string | null
}

export interface TokenRow {
  hash: string
  session_id: string
  created_at: string
  spent_at: string | null
}

export const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  scope: r.scope,
  ip: r.ip,
  userAgent: r.user_agent,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  idleExpiresAt: r.idle_expires_at,
  absoluteExpiresAt: r.absolute_expires_at,
  revokedAt: r.revoked_at,
})

export const toToken = (r: TokenRow): RefreshTokenRecord => ({
  hash: r.hash,
  sessionId: r.session_id,
  createdAt: r.created_at,
  spentAt: r.spent_at,
})

export interface ClientRow {
  id: string
  name: string
  secret_hash: string | null
  grant_types: string
  scopes: string
  introspect: number
  registration_id: string
  created_at: string
  updated_at: string
}

export const toClient = (r: ClientRow): ClientRecord => ({
  id: r.id,
  name: r.name,
  secretHash: r.secret_hash,
  grantTypes: decodeList(r.grant_types),
  scopes: decodeList(r.scopes),
  introspect: r.introspect === 1,
  registrationId: r.registration_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export interface AuditRow {
  id: string
  at: string
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
  at: r.at,
  type: r.type,
  outcome: r.outcome,
  userId: r.user_id,
  clientId: r.client_id,
  actorId: r.actor_id,
  ip: r.ip,
  userAgent: r.user_agent,
  detail: r.detail,
})
