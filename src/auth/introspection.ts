import type { UserRecord } from '../store/store.js'
import type { AccessTokens } from './access-tokens.js'
import type { MachineTokens } from './machine-tokens.js'
import type { RoleTable } from './roles.js'
import { currentScope } from './scopes.js'
import type { SessionService } from './sessions.js'

/** An RFC 7662 §2.2 response: `{active: false}` alone, or the token's claims. */
export type Introspection =
  | { active: false }
  | {
      active: true
      scope: string
      client_id: string
      token_type: 'Bearer' | 'refresh_token'
      sub: string
      exp: number
      iat: number
      username?: string
      aud?: string
      iss?: string
      jti?: string
      sid?: string
    }

const inactive = { active: false } as const
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000)

/** What introspection reads: the token services, what each role grants, and the issuer. */
export interface IntrospectionDeps {
  tokens: AccessTokens
  sessions: SessionService
  machineTokens: MachineTokens
  roles: RoleTable
  issuer: string
}
type Deps = IntrospectionDeps

/**
 * Who asks: the `resource` (RFC 8707) the introspecting client serves, or null when it is a
 * resource server of Portcullis itself.
 */
export interface Introspector {
  resource: string | null
}

/**
 * An access token is active while it verifies and its session, user or client still stands,
 * and only to the resource server it is meant for: a token for resource R to a client whose
 * `resource` is R, a token for Portcullis to a client whose `resource` is null. To anyone else
 * it is inactive (RFC 7662 §2.2, §4: a resource server learns nothing of other APIs' tokens).
 */
async function inspectAccessToken(
  deps: Deps,
  token: string,
  caller: Introspector,
): Promise<Introspection | null> {
  if (token.split('.').length !== 3) return null
  let claims: Awaited<ReturnType<Deps['tokens']['verify']>>
  try {
    claims = await deps.tokens.verifyAnyAudience(token)
  } catch {
    return null
  }
  if (claims.aud !== (caller.resource ?? deps.tokens.audience)) return null
  const base = {
    active: true as const,
    scope: claims.scope,
    client_id: claims.client_id,
    token_type: 'Bearer' as const,
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
  }
  if (claims.sid === undefined) return (await deps.machineTokens.isActive(claims)) ? base : null
  const found = await deps.sessions.findLive(claims.sid)
  if (!found || found.user.id !== claims.sub) return null
  const scope = grantedNow(deps, claims.scope, found.user)
  if (scope === null) return null
  return { ...base, scope, username: found.user.username, sid: claims.sid }
}

/**
 * The scopes of a user's token that its roles still grant; null (inactive) when the token had
 * scopes and none remain. A role taken away ends what it granted at once, as on /users/me.
 */
function grantedNow(deps: Deps, scope: string, user: UserRecord): string | null {
  const now = currentScope(scope, deps.roles, user)
  return now === '' && scope.trim() !== '' ? null : now
}

/**
 * A refresh token is active while it is unspent and its session live (nothing is spent), and
 * only to clients of Portcullis itself: it is only ever presented to Portcullis, never to a
 * resource server, so a client for a resource is told nothing about it.
 */
async function inspectRefreshToken(
  deps: Deps,
  token: string,
  caller: Introspector,
): Promise<Introspection | null> {
  if (caller.resource !== null) return null
  const found = await deps.sessions.inspectRefreshToken(token)
  if (!found) return null
  const { session, user } = found
  const scope = grantedNow(deps, session.scope, user)
  if (scope === null) return null
  return {
    active: true,
    scope,
    client_id: session.clientId,
    token_type: 'refresh_token',
    sub: user.id,
    username: user.username,
    exp: Math.min(seconds(session.idleExpiresAt), seconds(session.absoluteExpiresAt)),
    iat: seconds(session.lastUsedAt),
    iss: deps.issuer,
    sid: session.id,
  }
}

/**
 * RFC 7662 introspection of either kind of token. The hint only orders the lookups (§2.1);
 * anything not active (unknown, malformed, expired, revoked, of a disabled user or a deleted
 * client, or meant for an audience other than the caller's) is exactly `{active: false}`, so the
 * answer says nothing about why.
 */
export async function introspect(
  deps: Deps,
  token: string,
  hint: string | undefined,
  caller: Introspector,
): Promise<Introspection> {
  const order =
    hint === 'refresh_token'
      ? [inspectRefreshToken, inspectAccessToken]
      : [inspectAccessToken, inspectRefreshToken]
  for (const inspect of order) {
    const result = await inspect(deps, token, caller)
    if (result) return result
  }
  return inactive
}
