import { createHash } from 'node:crypto'
import { base64url, decodeProtectedHeader, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import type { Clock } from '../clock.js'
import { isCanonicalCompactJws } from '../verify/compact-jws.js'
import type { Keyring, SigningAlg } from './keys.js'

/** What an ID token says (OpenID Connect Core §2), besides `iss`, `iat` and `exp`. */
export interface IdTokenInput {
  /** `sub`: the user's id. */
  userId: string
  /** `aud` and `azp`: the client's id. */
  clientId: string
  /** From the authorization request; omitted from the token when null. */
  nonce: string | null
  /** When the user authenticated (ISO-8601), as seconds in `auth_time`. */
  authTime: string
  /** `amr` (RFC 8176 values, e.g. `pwd`). */
  amr: readonly string[]
  /** `sid`: the browser session's public id. */
  sid: string
  /** The access token issued with it: its hash is `at_hash` (OpenID Connect Core §3.1.3.6). */
  accessToken: string
}

export interface IdTokenOptions {
  issuer: string
  ttlSeconds: number
}

/** The claims of an ID token this server signed, as `verifyHint` reads them. */
export interface IdTokenHint {
  sub: string
  /** The client it was issued to (`aud`, a single value here). */
  clientId: string
  sid: string | null
}

/**
 * The hash behind `at_hash` for a JWS alg (OpenID Connect Core §3.1.3.6: the hash of the alg's
 * own hash size). EdDSA here is always Ed25519, whose signature uses SHA-512 (OpenID Connect
 * Core errata and RFC 8037): the key ring holds no Ed448 key.
 */
export function atHashDigest(alg: SigningAlg | string): 'sha256' | 'sha384' | 'sha512' {
  if (alg === 'EdDSA' || alg === 'Ed25519' || alg.endsWith('512')) return 'sha512'
  if (alg.endsWith('384')) return 'sha384'
  if (alg.endsWith('256')) return 'sha256'
  throw new Error(`no at_hash digest for alg ${alg}`)
}

/** `at_hash`: base64url of the left half of the access token's hash (Core §3.1.3.6). */
export function atHash(accessToken: string, alg: SigningAlg | string): string {
  const digest = createHash(atHashDigest(alg)).update(accessToken, 'ascii').digest()
  return base64url.encode(digest.subarray(0, digest.length / 2))
}

/**
 * OpenID Connect ID tokens (Core §2), signed by the key ring's current signing key with its alg
 * and `kid`, header `typ: JWT`. They are never accepted as access tokens: those carry
 * `typ: at+jwt` and Portcullis's own audience (RFC 8725 §3.11), an ID token the client's id.
 */
export class IdTokens {
  constructor(
    readonly keyring: Keyring,
    readonly clock: Clock,
    readonly options: IdTokenOptions,
  ) {}

  /** A signed ID token (JWT, `typ: JWT`) by the key ring's current signing key. */
  async issue(input: IdTokenInput): Promise<string> {
    const key = this.keyring.signingKey()
    const now = Math.floor(this.clock.now() / 1000)
    const claims: JWTPayload = {
      azp: input.clientId,
      auth_time: Math.floor(Date.parse(input.authTime) / 1000),
      ...(input.nonce === null ? {} : { nonce: input.nonce }),
      amr: [...input.amr],
      sid: input.sid,
      at_hash: atHash(input.accessToken, key.alg),
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
      .setIssuer(this.options.issuer)
      .setSubject(input.userId)
      .setAudience(input.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.ttlSeconds)
      .sign(key.privateKey)
  }

  /**
   * The claims of an ID token this server signed with a key it still holds, whatever its expiry
   * (RP-Initiated Logout 1.0 §2: an expired `id_token_hint` is still a hint); null for anything
   * else: malformed, another issuer, an unknown key, a bad signature, another `typ`.
   */
  async verifyHint(token: string): Promise<IdTokenHint | null> {
    if (!isCanonicalCompactJws(token)) return null
    try {
      const header = decodeProtectedHeader(token)
      if (typeof header.kid !== 'string') return null
      const key = this.keyring.find(header.kid)
      if (!key || header.alg !== key.alg) return null
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [key.alg],
        issuer: this.options.issuer,
        typ: 'JWT',
        currentDate: new Date(0),
        requiredClaims: ['sub', 'aud'],
      })
      if (typeof payload.aud !== 'string' || typeof payload.sub !== 'string') return null
      return {
        sub: payload.sub,
        clientId: payload.aud,
        sid: typeof payload.sid === 'string' ? payload.sid : null,
      }
    } catch {
      return null
    }
  }
}
