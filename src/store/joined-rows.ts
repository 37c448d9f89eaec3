import type { SessionRecord } from './store.js'

// A session row joined with its user: the user's columns come prefixed with `u_` so they
// cannot collide with the session's own (both tables have id and created_at).

const userColumnNames = [
  'id',
  'username',
  'email',
  'email_canonical',
  'full_name',
  'password_hash',
  'disabled',
  'created_at',
  'updated_at',
  'roles',
] as const

/** The user's columns of a `sessions s JOIN users u` select, each aliased `u_<name>`. */
export const userColumns = userColumnNames.map((c) => `u.${c} AS u_${c}`).join(', ')

/** A row type whose keys carry the `u_` prefix. */
export type Prefixed<T> = { [K in keyof T & string as `u_${K}`]: T[K] }

/** The user row inside a joined row, without the prefix. */
export function unprefix<T>(row: Prefixed<T>): T {
  const user: Record<string, unknown> = {}
  for (const name of userColumnNames) user[name] = (row as Record<string, unknown>)[`u_${name}`]
  return user as T
}

/** A session's column values in table order, for either engine's INSERT. */
export const sessionValues = (s: SessionRecord) => [
  s.id,
  s.userId,
  s.clientId,
  s.scope,
  s.ip,
  s.userAgent,
  s.createdAt,
  s.lastUsedAt,
  s.idleExpiresAt,
  s.absoluteExpiresAt,
  s.revokedAt,
]
