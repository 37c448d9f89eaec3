import type { AccessTokens } from './access-tokens.js'
import type { AuditService } from './audit.js'
import type { MachineTokens } from './machine-tokens.js'
import type { SessionService } from './sessions.js'

/** What revocation uses. */
export interface RevocationDeps {
  tokens: AccessTokens
  sessions: SessionService
  machineTokens: MachineTokens
  audit: AuditService
}

/**
 * RFC 7009 revocation of `token` on behalf of the client `clientId`, whichever kind it is: an
 * access token (for Portcullis or any configured RFC 8707 resource) or refresh token of a user
 * ends its whole session; a client_credentials token is denied
 * by its `jti` until it expires. A client may revoke only tokens issued to it (§2.1); another
 * client's token, or an unknown, malformed or expired one, is left alone without an error, so
 * the caller's answer (200 either way, §2.2) reveals nothing. The audit record says who asked
 * and whether anything was revoked, never the token. Returns whether something was revoked.
 */
export async function revokeToken(
  deps: RevocationDeps,
  token: string,
  clientId: string,
  ip: string,
): Promise<boolean> {
  // The hint only orders the lookups; both kinds are tried (RFC 7009 §2.1).
  const claims = await deps.tokens.claimsOf(token)
  let revoked = false
  if (claims && claims.sid === undefined) {
    revoked = await deps.machineTokens.revoke(claims, clientId)
  } else {
    const sessionId = claims?.sid ?? (await deps.sessions.sessionOfRefreshToken(token))
    const session = sessionId ? await deps.sessions.findById(sessionId) : null
    if (session && session.clientId === clientId) {
      revoked = await deps.sessions.revoke(session.id)
    }
  }
  await deps.audit.record({
    type: 'token.revoke',
    outcome: revoked ? 'success' : 'failure',
    clientId,
    ip,
  })
  return revoked
}
