import { invalidScope } from '../errors.js'
import type { ClientRecord, UserRecord } from '../store/store.js'
// The published verifier's parser is the one reading of a scope string: the server depends on
// its own library, never the other way round, so `portcullis/verify` stays self-contained.
import { scopesOf } from '../verify/claims.js'
import { type RoleTable, scopesOfRoles } from './roles.js'

/**
 * Every scope rule of the server: parsing a `scope` (RFC 6749 §3.3: space-separated tokens,
 * order meaningless), checking a request against what the server offers and the caller may have,
 * and narrowing a granted scope to what the user's roles still grant.
 */

/**
 * OpenID Connect's scope (Core §3.1.2.1): a protocol switch, not a permission. It is not among
 * the offered scopes; the authorization code flow accepts it from any client and user, and with
 * it the token response carries an ID token and the access token may call `/userinfo`.
 */
export const openidScope = 'openid'

/** The scope tokens of a space-separated scope string, each once, in order. */
const parse = (scope: string): string[] => [...new Set(scopesOf({ scope }))]

/** RFC 6749 §3.2: a parameter sent without a value (or only spaces) counts as omitted. */
const omitted = (requested: string | undefined): requested is undefined =>
  requested === undefined || requested.trim() === ''

/** The scopes of `wanted` that `allowed` lacks: the one check every rule below applies. */
function outside(wanted: readonly string[], allowed: readonly string[] | ReadonlySet<string>) {
  const has = Array.isArray(allowed)
    ? (s: string) => allowed.includes(s)
    : (s: string) => (allowed as ReadonlySet<string>).has(s)
  return wanted.filter((s) => !has(s))
}

/** A parsed `scope` request parameter; null when it was omitted. */
export type ScopeRequest = readonly string[] | null

/**
 * The first step of granting scopes, done before any password work: parses `requested` and
 * refuses (400 invalid_scope) a scope the server does not offer, then one the client may not
 * have. What the user's roles grant is checked afterwards by `grantScope`.
 */
export function requestScope(
  requested: string | undefined,
  offered: readonly string[],
  clientAllows: readonly string[],
): ScopeRequest {
  if (omitted(requested)) return null
  const wanted = parse(requested)
  const unknown = outside(wanted, offered)
  if (unknown.length > 0) throw invalidScope(`unknown scope: ${unknown.join(' ')}`)
  refuse(wanted, clientAllows)
  return wanted
}

/**
 * The scope a caller gets for a checked request: what it asked for if it may have all of it
 * (else 400 invalid_scope), or, when it asked for nothing, the defaults it may have. A caller
 * gets what it may have, never whatever it asks for.
 */
export function grantScope(
  request: ScopeRequest,
  allowed: readonly string[],
  defaults: readonly string[],
): string {
  if (request === null) return defaults.filter((s) => allowed.includes(s)).join(' ')
  refuse(request, allowed)
  return request.join(' ')
}

function refuse(wanted: readonly string[], allowed: readonly string[]) {
  const refused = outside(wanted, allowed)
  if (refused.length > 0) throw invalidScope(`scope not permitted: ${refused.join(' ')}`)
}

/**
 * The scope of a refreshed access token: the session's, or the narrower one requested. RFC 6749
 * §6: the requested scope MUST NOT include any scope not originally granted (400 invalid_scope).
 */
export function refreshScope(granted: string, requested: string | undefined): string {
  if (omitted(requested)) return granted
  const wanted = parse(requested)
  const extra = outside(wanted, new Set(parse(granted)))
  if (extra.length > 0) throw invalidScope(`scope exceeds the session's grant: ${extra.join(' ')}`)
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
  return parse(scope)
    .filter((s) => keep.has(s))
    .join(' ')
}

/**
 * The part of a token's `scope` that the user's roles grant now: the rule every request on the
 * user's own routes applies, so a role taken away takes its scopes away from tokens already
 * issued, wherever they are checked (protected routes, introspection, /userinfo). `openid`, a
 * protocol switch no role grants, stays.
 */
export const currentScope = (scope: string, roles: RoleTable, user: UserRecord) =>
  narrowScope(scope, [...scopesOfRoles(roles, user.roles), openidScope])

/** The scopes of `required` that a granted scope string lacks (RFC 6750 §3.1 insufficient_scope). */
export function missingScopes(granted: string, required: readonly string[]): string[] {
  // Every protected request asks: the scope string is searched, not split into an array.
  return required.filter((s) => !hasScope(granted, s))
}

/**
 * Whether `scope` is one of the space-delimited tokens of `granted` (RFC 6749 §3.3): a whole
 * token, never a part of one (`profile` is not in `profile:read`).
 */
export function hasScope(granted: string, scope: string): boolean {
  // A scope token has no space (RFC 6749 §3.3): 'a b' is two scopes, never one.
  if (scope === '' || scope.includes(' ')) return false
  for (let at = granted.indexOf(scope); at !== -1; at = granted.indexOf(scope, at + 1)) {
    const end = at + scope.length
    if ((at === 0 || granted[at - 1] === ' ') && (end === granted.length || granted[end] === ' ')) {
      return true
    }
  }
  return false
}
