import { invalidScope, invalidTarget } from '../errors.js'
import { adminScope } from './roles.js'
import type { ScopeRequest } from './scopes.js'

/**
 * The resource a request names with `resource` (RFC 8707 §2), or null when it names none (then
 * the token is for Portcullis itself, as before resource indicators). A value that is not one
 * of the operator's configured resources, compared as exact strings, is refused with 400
 * invalid_target: a token is never minted for an audience the operator did not name.
 */
export function requestedResource(
  raw: string | undefined,
  configured: readonly string[],
): string | null {
  if (raw === undefined || raw === '') return null
  if (!configured.includes(raw)) {
    throw invalidTarget('resource is not an API this server issues tokens for')
  }
  return raw
}

/**
 * Scopes that only ever appear in tokens for Portcullis itself: they open Portcullis's own API
 * (the admin API), and a token for another API (RFC 8707) is presented to that API, which could
 * replay it here were it to carry them (RFC 9700 §2.3: restrict privileges to the audience).
 */
const portcullisOnlyScopes: readonly string[] = [adminScope]

/**
 * The one rule of which scopes a token for `resource` may carry (with `scopesForResource`), for
 * every grant and the authorization endpoint; checked with the request, before any password
 * work. Refuses (400 invalid_scope) a request that names a Portcullis-only scope (`admin`)
 * together with a resource; returns the request unchanged otherwise.
 */
export function checkResourceScopes(request: ScopeRequest, resource: string | null): ScopeRequest {
  if (resource === null || request === null) return request
  const refused = request.filter((s) => portcullisOnlyScopes.includes(s))
  if (refused.length > 0) {
    throw invalidScope(
      `scope ${refused.join(' ')} is only granted in tokens for this server, never with a resource`,
    )
  }
  return request
}

/**
 * The scopes of `allowed` (what the user and client may have) that a token for `resource` may
 * get: all of them for Portcullis itself (`resource` null), all but the Portcullis-only ones for
 * a resource. Pass the result to `grantScope`, so defaults never include `admin` for a resource.
 */
export function scopesForResource(allowed: readonly string[], resource: string | null): string[] {
  return resource === null ? [...allowed] : allowed.filter((s) => !portcullisOnlyScopes.includes(s))
}
