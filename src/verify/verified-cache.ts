import type { VerifiedClaims } from './claims.js'
import type { KeySource } from './key-source.js'
import { invalidToken, keysUnavailable } from './token-checks.js'

/** How the cache of verified tokens behaves. @internal */
export interface VerifiedCacheOptions {
  /** How many tokens to remember; 0 remembers none. */
  size: number
  /** Seconds of leeway for `exp`. */
  clockTolerance: number
  /** The clock in milliseconds since the epoch. */
  now: () => number
  /** Asked on every hit whether the key that verified the token is still trusted. */
  source: Pick<KeySource, 'stillHolds'>
  /** The realm its errors name. */
  realm: string
}

/**
 * Tokens verified before, by their full string, with the `kid` that verified them (undefined
 * with a secret); the oldest entry makes room for a new one. A hit skips the signature check but
 * never the expiry, nor the check that its key is still trusted. @internal
 */
export class VerifiedTokenCache {
  private readonly verified = new Map<string, { claims: VerifiedClaims; kid: string | undefined }>()

  constructor(private readonly options: VerifiedCacheOptions) {}

  /**
   * The claims of a token verified before, not yet expired, and whose key is still trusted;
   * undefined when it is not cached. Rejects with `invalid_token` once it has expired or once
   * its `kid` has left the JWKS: a revoked (possibly leaked) key must not keep its tokens alive
   * in this cache until their `exp`.
   */
  async lookup(token: string): Promise<VerifiedClaims | undefined> {
    const { clockTolerance, now, source, realm } = this.options
    const hit = this.verified.get(token)
    if (!hit) return undefined
    if (hit.claims.exp + clockTolerance <= now() / 1000) {
      this.verified.delete(token)
      throw invalidToken(realm, 'the access token expired')
    }
    let held: boolean
    try {
      held = await source.stillHolds(hit.kid)
    } catch (error) {
      throw keysUnavailable(realm, error)
    }
    if (held) return hit.claims
    this.verified.delete(token)
    throw invalidToken(realm, 'the access token was signed by an unknown key')
  }

  /** Remembers a token that passed every check, verified under `kid`. */
  remember(token: string, claims: VerifiedClaims, kid: string | undefined): void {
    if (this.options.size <= 0) return
    if (this.verified.size >= this.options.size) {
      const oldest = this.verified.keys().next()
      if (!oldest.done) this.verified.delete(oldest.value)
    }
    this.verified.set(token, { claims, kid })
  }
}
