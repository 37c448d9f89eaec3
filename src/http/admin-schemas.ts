import { Type } from 'typebox'
import type { AuditRecord, ClientRecord, SessionRecord, UserRecord } from '../store/store.js'
import type { AdminSession } from '../wire/admin-session.js'
import type { AdminUser } from '../wire/admin-user.js'
import type { AuditEventView } from '../wire/audit-event.js'
import type { ClientView } from '../wire/client.js'
import { nullable } from '../wire/nullable.js'

/** The admin view of a user record; never the password hash. */
export const toAdminUser = (u: UserRecord): AdminUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  email_verified: u.emailVerified,
  roles: u.roles,
  disabled: u.disabled,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
})
/** The admin view of a session: its expiry is the earlier of the idle and absolute ones. */
export const toAdminSession = (s: SessionRecord): AdminSession => ({
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
/** The admin view of a client: `confidential` instead of the secret hash. */
export const toClientView = (c: ClientRecord): ClientView => ({
  client_id: c.id,
  name: c.name,
  confidential: c.secretHash !== null,
  grant_types: c.grantTypes,
  scopes: c.scopes,
  introspect: c.introspect,
  redirect_uris: c.redirectUris,
  post_logout_redirect_uris: c.postLogoutRedirectUris,
  first_party: c.firstParty,
  resource: c.resource,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
})
/** The admin view of an audit record, its stored JSON detail parsed. */
export const toAuditView = (r: AuditRecord): AuditEventView => ({
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
