import type { RefreshTokenRecord, SessionRecord, SigningKeyRecord, UserRecord } from './store.js'

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
}

export interface KeyRow {
  kid: string
  alg: string
  public_jwk: string
  private_jwk: string
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
