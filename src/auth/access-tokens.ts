import { randomUUID } from 'node:crypto'
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import { isCanonicalCompactJws } from '../verify/compact-jws.js'
import type { HeldKey, Keyring } from './keys.js'
import { BoundedCache } from './token-cache.js'

/** The claims of an access token (RFC 9068 §2.2). */
export interface AccessClaims {
  iss: string
  sub: string
  aud: string
  exp: number
  iat: number
  jti: string
  client_id: string
  scope: string
  /**
   * The session the token belongs to; it dies with the session. Absent on client_credentials
   * tokens, whose subject is the client itself (RFC 9068 §2.2).
   */
  sid?: string
  /**
   * How the user signed in (RFC 8176 values, e.g. `["pwd"]` or `["pwd", "otp", "mfa"]`) and when
   * (seconds since the epoch): the session's, kept by every refresh. RFC 9068 §2.2.1 allows both;
   * step-up (RFC 9470) reads them. Absent on client_credentials tokens.
   */
  amr?: string[]
  auth_time?: number
  /**
   * Private claim of client_credentials tokens: the registration of the client that got it
   * (ClientRecord.registrationId), so a client_id deleted and registered again, however soon,
   * does not revive the old registration's tokens.
   */
  client_registration?: string
}

export interface AccessTokenOptions {
  issuer: string
  /** Portcullis's own audience: the only one `verify` accepts. */
  audience: string
  /**
   * The RFC 8707 resources tokens may be issued for (PORTCULLIS_RESOURCES): accepted besides
   * `audience` only by `verifyAnyAudience` and `claimsOf` (introspection and revocation).
   */
  resources?: readonly string[]
  ttlSeconds: number
  cacheSize: number
}

/** The session a user's token belongs to: its id and the sign-in that started it. */
export interface TokenSession {
  id: string
  /** RFC 8176 authentication methods of the sign-in (SessionRecord.amr). */
  amr: readonly string[]
  /** When the sign-in happened, ISO-8601 (SessionRecord.authTime). */
  authTime: string
}

export interface IssuedToken {
  token: string
  expiresIn: number
}

// RFC 8725 §3.10 / RFC 7515 §4.1: headers that would let a token choose its own key are refused.
const forbiddenHeaders = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const
// A thumbprint (43 characters), or `hs256` in the shared-secret mode.
const kidPattern = /^(?:[A-Za-z0-9_-]{43}|hs256)$/
// How stale the key list may be before an unknown kid makes this instance look again.
const keyReloadIntervalMs = 5000

const invalidToken = (description: string) => new ApiError('invalid_token', description)

// RFC 7515 §2: jose decodes leniently on Node 20 (padding, whitespace, stray bits), so a padded
// or otherwise re-spelled signature would verify: refuse every spelling but the canonical one.
function assertCanonical(token: string): void {
  if (!isCanonicalCompactJws(token)) throw invalidToken('the access token is malformed')
}

/**
 * The cache key of a token: its signature, the last of its three parts. Hashing a map key costs
 * its whole length on every lookup, and the signature is about a tenth of the token; the entry
 * still holds the whole token, which a hit must equal.
 */
const cacheKey = (token: string): string => token.slice(token.lastIndexOf('.') + 1)

/**
 * Issues and verifies RFC 9068 access tokens (`typ: at+jwt`). Verification pins the
 * algorithms of the held keys (one alg per key), issuer, audience and typ, and refuses
 * key-carrying headers and unknown kids. Verified tokens are cached, found by their signature
 * and matched on their full string (a hit is the very token verified before); a cache hit
 * still re-checks `exp` against the clock. A token not spelled in canonical
 * base64url is refused before it is verified or cached, so one token has one cache key.
 */
export class AccessTokens {
  private readonly cache: BoundedCache<{ token: string; claims: AccessClaims; kid: string }>

  constructor(
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly options: AccessTokenOptions,
  ) {
    this.cache = new BoundedCache(options.cacheSize)
  }

  /** Portcullis's own audience: the `aud` of every token not issued for an RFC 8707 resource. */
  get audience(): string {
    return this.options.audience
  }

  /**
   * An access token for a user's session: `sid` ties it to the session (RFC 9068 §2.2), `amr`
   * and `auth_time` carry the session's sign-in (RFC 9068 §2.2.1), so a refreshed token keeps
   * the original sign-in's. Its `aud` is `audience` (an RFC 8707 resource) when given, else
   * Portcullis's own audience.
   */
  issue(
    subject: string,
    clientId: string,
    scope: string,
    session: TokenSession,
    audience?: string | null,
  ): Promise<IssuedToken> {
    const claims = {
      client_id: clientId,
      scope,
      sid: session.id,
      amr: [...session.amr],
      auth_time: Math.floor(Date.parse(session.authTime) / 1000),
    }
    return this.sign(subject, claims, audience ?? undefined)
  }

  /**
   * A client_credentials token (RFC 6749 §4.4): the client is its subject, and it names the
   * client's registration, so a client_id deleted and registered again never revives it.
   */
  issueForClient(
    clientId: string,
    registrationId: string,
    scope: string,
    audience?: string | null,
  ): Promise<IssuedToken> {
    return this.sign(
      clientId,
      { client_id: clientId, scope, client_registration: registrationId },
      audience ?? undefined,
    )
  }

  private async sign(
    subject: string,
    claims: JWTPayload,
    audience = this.options.audience,
  ): Promise<IssuedToken> {
    const key = this.keyring.signingKey()
    const now = Math.floor(this.clock.now() / 1000)
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
      .setIssuer(this.options.issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey)
    return { token, expiresIn: this.options.ttlSeconds }
  }

  /**
   * Returns the claims of a valid token for Portcullis itself; throws 401 invalid_token
   * otherwise, also for a token for another API (RFC 8707 resource): Portcullis's own API
   * never accepts a token meant for another audience (RFC 9068 §4, RFC 8725 §3.9).
   */
  verify(token: string): Promise<AccessClaims> {
    try {
      const hit = this.fromCache(token)
      if (hit) return Promise.resolve(hit)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.verifyUncached(token)
  }

  /**
   * The claims of a token verified before, re-checking expiry and that its key is still held;
   * undefined on a miss. Synchronous, for the hot path; throws invalid_token when expired or
   * not canonically spelled. Only canonical spellings ever enter the cache (`verifyUncached`
   * checks first), so a hit is canonical and the spelling is checked on a miss only.
   */
  fromCache(token: string): AccessClaims | undefined {
    const key = cacheKey(token)
    const cached = this.cache.get(key)
    if (!cached || cached.token !== token) {
      assertCanonical(token)
      return undefined
    }
    if (!this.keyring.find(cached.kid)) return undefined
    if (cached.claims.exp > this.clock.now() / 1000) return cached.claims
    this.cache.delete(key)
    throw invalidToken('the access token expired')
  }

  /** The full check of a token not in the cache (after `fromCache` missed); caches the result. */
  async verifyUncached(token: string): Promise<AccessClaims> {
    const { claims, kid } = await this.verifySignedToken(token)
    this.cache.set(cacheKey(token), { token, claims, kid })
    return claims
  }

  /**
   * For introspection only: the claims of a valid token for Portcullis's audience or for any
   * configured resource; throws 401 invalid_token otherwise. The caller decides who may be
   * told about which audience (RFC 7662 §2.2). Never caches: the cache behind `verify` holds
   * only tokens for Portcullis, so a resource token can never reach its own API through it.
   */
  async verifyAnyAudience(token: string): Promise<AccessClaims> {
    const hit = this.fromCache(token)
    if (hit) return hit
    return (await this.verifySignedToken(token, false, this.anyAudience())).claims
  }

  /**
   * The claims of a token this server signed, for Portcullis or a configured resource, ignoring
   * its expiry (revoking an expired token still ends its session); null when it is not such a
   * token. For revocation only.
   */
  async claimsOf(token: string): Promise<AccessClaims | null> {
    if (token.split('.').length !== 3) return null
    try {
      return (await this.verifySignedToken(token, true, this.anyAudience())).claims
    } catch {
      return null
    }
  }

  private anyAudience(): string[] {
    return [this.options.audience, ...(this.options.resources ?? [])]
  }

  /** The held key with this kid; an unknown well-formed kid triggers a rate-limited reload. */
  private async findKey(kid: unknown): Promise<HeldKey | undefined> {
    if (typeof kid !== 'string' || !kidPattern.test(kid)) return undefined
    const key = this.keyring.find(kid)
    if (key) return key
    return (await this.keyring.reloadIfOlderThan(keyReloadIntervalMs))
      ? this.keyring.find(kid)
      : undefined
  }

  private async verifySignedToken(
    token: string,
    ignoreExpiry = false,
    audience: string | string[] = this.options.audience,
  ): Promise<{ claims: AccessClaims; kid: string }> {
    assertCanonical(token)
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch {
      throw invalidToken('the access token is malformed')
    }
    for (const name of forbiddenHeaders) {
      if (name in header) throw invalidToken(`the access token header must not carry ${name}`)
    }
    const key = await this.findKey(header.kid)
    if (!key) throw invalidToken('the access token was not signed by a key of this server')
    if (header.alg !== key.alg)
      throw invalidToken('the access token algorithm does not match its key')
    let payload: JWTPayload
    try {
      const result = await jwtVerify(token, key.publicKey, {
        algorithms: [key.alg],
        issuer: this.options.issuer,
        audience,
        typ: 'at+jwt',
        // A revocation of an expired token still ends its session: check it as of its issue time.
        currentDate: ignoreExpiry ? new Date(0) : new Date(this.clock.now()),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
      })
      payload = result.payload
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw invalidToken('the access token expired')
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
        throw invalidToken('the access token is for another API (its audience is not this server)')
      }
      throw invalidToken('the access token is invalid')
    }
    if (
      typeof payload.aud !== 'string' ||
      typeof payload.client_id !== 'string' ||
      typeof payload.scope !== 'string' ||
      (payload.sid !== undefined && typeof payload.sid !== 'string') ||
      (payload.amr !== undefined &&
        !(Array.isArray(payload.amr) && payload.amr.every((m) => typeof m === 'string'))) ||
      (payload.auth_time !== undefined && !Number.isInteger(payload.auth_time)) ||
      (payload.client_registration !== undefined && typeof payload.client_registration !== 'string')
    ) {
      throw invalidToken('the access token is invalid')
    }
    return { claims: payload as unknown as AccessClaims, kid: key.kid }
  }
}
