import { invalidScope } from '../errors.js'
import type { ClientRecord, UserRecord } from '../store/store.js'
import { type RoleTable, scopesOfRoles } from './roles.js'

/** What a scope request is checked against. */
export interface ScopeRules {
  /** Every scope the server offers. */
  offered: readonly string[]
  /** What this caller may have. */
  allowed: readonly string[]
  /** What an omitted `scope` means (narrowed to `allowed`). */
  defaults: readonly string[]
}

/**
 * Resolves a requested `scope` parameter (RFC 6749 §3.3). Omitted or empty: the defaults the
 * caller is allowed. A scope the server does not offer, or that the caller may not have: 400
 * invalid_scope. A caller gets what it may have, never whatever it asks for.
 */
export function grantScopes(requested: string | undefined, rules: ScopeRules): string {
  if (requested === undefined || requested.trim() === '') {
    return rules.defaults.filter((s) => rules.allowed.includes(s)).join(' ')
  }
  const wanted = [...new Set(requested.split(' ').filter((s) => s !== ''))]
  const unknown = wanted.filter((s) => !rules.offered.includes(s))
  if (unknown.length > 0) throw invalidScope(`unknown scope: ${unknown.join(' ')}`)
  const refused = wanted.filter((s) => !rules.allowed.includes(s))
  if (refused.length > 0) throw invalidScope(`scope not permitted: ${refused.join(' ')}`)
  return wanted.join(' ')
}

/** The scopes a user may have through a client: its roles' scopes that the client allows. */
export function userScopes(roles: RoleTable, user: UserRecord, client: ClientRecord): string[] {
  const granted = scopesOfRoles(roles, user.roles)
  return client.scopes.filter((s) => granted.has(s))
}

/** `scope` without the scopes not in `allowed` (a refresh after a role change). */
export const narrowScope = (scope: string, allowed: Iterable<string>) => {
  const keep = allowed instanceof Set ? (allowed as ReadonlySet<string>) : new Set(allowed)
  return scope
    .split(' ')
    .filter((s) => s !== '' && keep.has(s))
    .join(' ')
}

/**
 * The part of a token's `scope` that the user's roles grant now: the rule every request on the
 * user's own routes applies, so a role taken away takes its scopes away from tokens already
 * issued, wherever they are checked (protected routes, introspection).
 */
export const currentScope = (scope: string, roles: RoleTable, user: UserRecord) =>
  narrowScope(scope, scopesOfRoles(roles, user.roles))
