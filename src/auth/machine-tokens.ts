import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
import type { AccessClaims } from './access-tokens.js'

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * What stands behind a client_credentials access token (no `sid`, `sub` = the client_id): the
 * registration that got it, and no revocation. Such a token has no session to end, so revoking
 * it (RFC 7009 §2) records its `jti` in the store until it would expire anyway; every instance
 * sees the record at once. User tokens never come here: their session carries their state.
 */
export class MachineTokens {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * True while the client is registered under the same registration as when the token was
   * issued (not merely the same client_id) and the token is not revoked. The caller has
   * verified the signature and expiry.
   */
  async isActive(claims: AccessClaims): Promise<boolean> {
    if (claims.client_registration === undefined) return false
    const client = await this.store.clients.findById(claims.sub)
    if (!client || client.registrationId !== claims.client_registration) return false
    return !(await this.store.revokedTokens.has(claims.jti))
  }

  /**
   * Revokes a machine token on behalf of `clientId`: only the client it was issued to may
   * (RFC 7009 §2.1). Returns whether a revocation was recorded; an expired token needs none.
   */
  async revoke(claims: AccessClaims, clientId: string): Promise<boolean> {
    if (claims.sid !== undefined || claims.client_id !== clientId || claims.sub !== clientId) {
      return false
    }
    if (claims.exp * 1000 <= this.clock.now()) return false
    await this.store.revokedTokens.add(claims.jti, iso(claims.exp * 1000))
    return true
  }

  /** Deletes the records of revoked tokens that have expired since, in batches; returns how many. */
  async purge(batch = 1000): Promise<number> {
    let total = 0
    for (;;) {
      const n = await this.store.revokedTokens.purge(iso(this.clock.now()), batch)
      total += n
      if (n < batch) return total
    }
  }
}
