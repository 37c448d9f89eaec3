import { type Static, Type } from 'typebox'
import type { AuditRecord, ClientRecord, SessionRecord, UserRecord } from '../store/store.js'

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()])

/** A user as the admin API shows it: the public fields plus roles and status, never the hash. */
export const AdminUserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: nullable(Type.String()),
  full_name: nullable(Type.String()),
  roles: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const toAdminUser = (u: UserRecord): Static<typeof AdminUserSchema> => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  roles: u.roles,
  disabled: u.disabled,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
})

export const AdminSessionSchema = Type.Object({
  id: Type.String(),
  client_id: Type.String(),
  scope: Type.String(),
  ip: nullable(Type.String()),
  user_agent: nullable(Type.String()),
  created_at: Type.String(),
  last_used_at: Type.String(),
  expires_at: Type.String({ description: 'The earlier of the idle and the absolute expiry' }),
  revoked_at: nullable(Type.String()),
})

export const toAdminSession = (s: SessionRecord): Static<typeof AdminSessionSchema> => ({
  id: s.id,
  client_id: s.clientId,
  scope: s.scope,
  ip: s.ip,
  user_agent: s.userAgent,
  created_at: s.createdAt,
  last_used_at: s.lastUsedAt,
  // ISO-8601 UTC strings sort as times.
  expires_at: [s.idleExpiresAt, s.absoluteExpiresAt].sort()[0] ?? s.absoluteExpiresAt,
  revoked_at: s.revokedAt,
})

/** A client as the admin API shows it; the secret itself is shown only once, at creation. */
export const ClientSchema = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  confidential: Type.Boolean({ description: 'Has a secret (stored only as a hash)' }),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  introspect: Type.Boolean({ description: 'May call POST /introspect' }),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const toClientView = (c: ClientRecord): Static<typeof ClientSchema> => ({
  client_id: c.id,
  name: c.name,
  confidential: c.secretHash !== null,
  grant_types: c.grantTypes,
  scopes: c.scopes,
  introspect: c.introspect,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
})

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  type: Type.String(),
  outcome: Type.String({ description: '`success` or `failure`' }),
  user_id: nullable(Type.String()),
  client_id: nullable(Type.String()),
  actor_id: nullable(Type.String({ description: 'Who acted: a user id, a client id or `cli`' })),
  ip: nullable(Type.String()),
  user_agent: nullable(Type.String()),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
})

export const toAuditView = (r: AuditRecord): Static<typeof AuditEventSchema> => ({
  id: r.id,
  at: r.at,
  type: r.type,
  outcome: r.outcome,
  user_id: r.userId,
  client_id: r.clientId,
  actor_id: r.actorId,
  ip: r.ip,
  user_agent: r.userAgent,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
})

/**
 * Page size query parameter shared by the admin lists. A digit string, not an integer: the app
 * does not coerce types (an auth API refuses what it did not ask for), and query values are text.
 */
export const limitParam = Type.Optional(
  Type.String({ pattern: '^[0-9]{1,3}$', description: 'Page size, 1 to 200 (default 50)' }),
)
export const cursorParam = Type.Optional(
  Type.String({ maxLength: 256, description: 'The `next_cursor` of the previous page' }),
)
export const nextCursorSchema = nullable(
  Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' }),
)
