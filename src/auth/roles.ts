/**
 * Roles and the scopes they grant. A user holds one or more roles; the scopes a token
 * may carry are the union of its roles' scopes, further narrowed by the client and the request.
 */

/** The scopes every deployment offers: the user's profile, its sessions, the admin API. */
export const builtinScopes = ['profile', 'sessions', 'admin'] as const

/** Every user has this role unless an admin removes it; new users get only this. */
export const defaultRole = 'user'
export const adminRole = 'admin'

/** Role name → the scopes it grants. Always contains `user` and `admin`. */
export type RoleTable = Readonly<Record<string, readonly string[]>>

export const roleNamePattern = /^[a-z][a-z0-9_.-]{0,63}$/

const memo = new WeakMap<RoleTable, Map<string, ReadonlySet<string>>>()

/**
 * The scopes the given roles grant together (unknown role names grant nothing). Memoized per
 * table and role list: every protected request asks.
 */
export function scopesOfRoles(table: RoleTable, roles: readonly string[]): ReadonlySet<string> {
  let byRoles = memo.get(table)
  if (!byRoles) {
    byRoles = new Map()
    memo.set(table, byRoles)
  }
  const key = roles.join(' ')
  const known = byRoles.get(key)
  if (known) return known
  const granted = new Set<string>()
  for (const role of roles) {
    if (!Object.hasOwn(table, role)) continue
    for (const scope of table[role] ?? []) granted.add(scope)
  }
  if (byRoles.size < 1000) byRoles.set(key, granted)
  return granted
}

/** The scope of the admin API; a deployment must never be left without a user who holds it. */
export const adminScope = 'admin'

/** Whether the roles grant the admin scope: by scope, not role name (a custom role may grant it). */
export const grantsAdmin = (table: RoleTable, roles: readonly string[]) =>
  scopesOfRoles(table, roles).has(adminScope)

/** Every role in the table that grants the admin scope. */
export const adminRoles = (table: RoleTable) =>
  Object.keys(table).filter((role) => grantsAdmin(table, [role]))

/** The role names in `roles` that the table does not define. */
export const unknownRoles = (table: RoleTable, roles: readonly string[]) =>
  roles.filter((role) => !Object.hasOwn(table, role))

/**
 * Parses `PORTCULLIS_ROLES`: `role=scope scope;role=scope…`. Roles not mentioned keep their
 * defaults: `user` gets every offered scope but `admin`, `admin` gets every offered scope.
 * Returns an error message instead of throwing, so config can name the variable.
 */
export function parseRoles(
  raw: string | undefined,
  offered: readonly string[],
): RoleTable | string {
  const table: Record<string, readonly string[]> = {
    [defaultRole]: offered.filter((s) => s !== 'admin'),
    [adminRole]: [...offered],
  }
  if (raw === undefined || raw.trim() === '') return table
  for (const entry of raw.split(';')) {
    if (entry.trim() === '') continue
    const eq = entry.indexOf('=')
    const name = (eq < 0 ? entry : entry.slice(0, eq)).trim()
    if (!roleNamePattern.test(name)) {
      return `role names are lowercase letters, digits, ".", "_" and "-" starting with a letter (got "${name}")`
    }
    const scopes =
      eq < 0
        ? []
        : entry
            .slice(eq + 1)
            .trim()
            .split(/\s+/)
            .filter(Boolean)
    const unknown = scopes.filter((s) => !offered.includes(s))
    if (unknown.length > 0) return `role ${name} names scopes not offered: ${unknown.join(' ')}`
    table[name] = [...new Set(scopes)]
  }
  if (!table[adminRole]?.includes('admin')) return 'the admin role must grant the admin scope'
  return table
}
