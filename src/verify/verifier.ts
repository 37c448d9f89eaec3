import { toVerifiedClaims, type VerifiedClaims } from './claims.js'
import { isCanonicalCompactJws } from './compact-jws.js'
import { type JwksSourceOptions, jwksSource, type KeySource, secretSource } from './key-source.js'
import { assertSubject, checkedSubject, type TokenSubject } from './subject.js'
import { checkHeader, invalidToken, verifySignature } from './token-checks.js'
import { VerifiedTokenCache } from './verified-cache.js'

/** Options every verifier takes. */
export interface VerifierBaseOptions {
  /** The exact `iss` to accept: Portcullis's `PORTCULLIS_ISSUER`. */
  issuer: string
  /** The `aud` this service accepts (one of them, if a list): Portcullis's `PORTCULLIS_AUDIENCE`. */
  audience: string | readonly string[]
  /**
   * The algorithm allowlist. JWKS: a subset of the asymmetric algorithms, default
   * `['ES256', 'EdDSA']`. Secret: HMAC only, default `['HS256']`. Mixing is refused at creation
   * (RFC 8725 §3.1); `none` is never accepted.
   */
  algorithms?: readonly string[]
  /** Seconds of leeway for `exp` and `nbf` against clock skew; default 0. */
  clockTolerance?: number
  /**
   * How many verified tokens to remember (default 10,000; 0 = none). A token seen before skips
   * the signature check; its expiry, and (JWKS mode) that its `kid` is still in the JWKS, are
   * checked on every call.
   */
  cacheSize?: number
  /**
   * The longest lifetime (`exp - iat`, seconds) a token may claim; default 86400, the highest
   * `PORTCULLIS_ACCESS_TOKEN_TTL`. Longer is `invalid_token`: it bounds what a forged token
   * (say, signed with a leaked key) can claim, and how long any token can be cached.
   */
  maxTokenAge?: number
  /** The realm of the `WWW-Authenticate` challenges; default: the (first) audience. */
  realm?: string
  /** The clock in milliseconds since the epoch, for `exp`/`nbf`; default `Date.now`. */
  now?: () => number
  /** Tokens longer than this many characters are refused unparsed; default 16384. */
  maxTokenLength?: number
  /**
   * Whose tokens `verify` accepts when a call does not say: `'user'` (default) refuses
   * `client_credentials` tokens, which have no `sid` and whose `sub` is a client id. Give
   * `'client'` or `'any'` per machine route instead (see {@link VerifyOptions}) rather than here,
   * unless every route of the service is a machine route.
   */
  subject?: TokenSubject
}

/** Options of one {@link Verifier.verify} call. */
export interface VerifyOptions {
  /** Whose tokens this route accepts; default the verifier's `subject` (`'user'`). */
  subject?: TokenSubject
}

/** A verifier that trusts the keys published at a JWKS URL (Portcullis's default). */
export interface JwksVerifierOptions extends VerifierBaseOptions, JwksSourceOptions {
  /** `{issuer}/.well-known/jwks.json`; fetched lazily and cached (see {@link createVerifier}). */
  jwksUrl: string | URL
  secret?: never
  /** The fetch used for the JWKS; default the global `fetch`. */
  fetch?: typeof fetch
  /**
   * Minimum milliseconds between two fetches caused by unknown `kid`s; default 30000. A flood of
   * tokens with made-up kids costs at most one request per cooldown.
   */
  cooldownMs?: number
  /** Milliseconds a fetched JWKS is used before it is fetched again; default 300000 (5 min). */
  cacheMaxAgeMs?: number
  /** Milliseconds before a JWKS request is abandoned; default 5000. */
  timeoutMs?: number
}

/** A verifier for Portcullis's shared-secret mode (`PORTCULLIS_JWT_ALG=HS256`). */
export interface SecretVerifierOptions extends VerifierBaseOptions {
  /** `PORTCULLIS_JWT_SECRET`: at least 32 bytes (UTF-8 when a string). */
  secret: string | Uint8Array
  jwksUrl?: never
  fetch?: never
}

/** The options of {@link createVerifier}: exactly one of `jwksUrl` or `secret`. */
export type VerifierOptions = JwksVerifierOptions | SecretVerifierOptions

/** Verifies Portcullis access tokens. */
export interface Verifier {
  /**
   * Resolves to the token's claims, or rejects with a {@link VerifyError}: `invalid_token` for any
   * token that is not a valid access token for this issuer and audience, or not of the kind
   * `options.subject` accepts (by default a user's token: a `client_credentials` token is refused),
   * `temporarily_unavailable` when the JWKS cannot be fetched.
   */
  verify(token: string, options?: VerifyOptions): Promise<VerifiedClaims>
  /** The realm its errors name in `WWW-Authenticate`. */
  readonly realm: string
}

/**
 * Creates a verifier of Portcullis access tokens (RFC 9068 JWTs).
 *
 * Every check is pinned: canonical base64url (RFC 7515 §2, before the cache), the algorithm
 * allowlist (never `none`, never HMAC and asymmetric together), `typ: at+jwt`, `iss`, `aud`,
 * `exp` and `nbf` (with `clockTolerance`), and the presence of `sub`, `exp`, `iat`, `jti`,
 * `client_id` and `scope`, and a lifetime (`exp - iat`) of at most `maxTokenAge`. By default
 * only user tokens pass (`subject: 'user'`): a `client_credentials` token (no `sid`) is
 * `invalid_token` unless the call or the verifier says `subject: 'client'` or `'any'`. Headers
 * that carry or point to keys (`jku`, `x5u`, `jwk`, `x5c`, `x5t`) make a token invalid: keys
 * come only from the configured `jwksUrl` or `secret`. In JWKS mode a token must name its key
 * with `kid`.
 *
 * The JWKS (jose's `createRemoteJWKSet`) is fetched on the first `verify`, not at creation,
 * kept for `cacheMaxAgeMs`, and fetched again when a token names an unknown `kid`, at most once
 * per `cooldownMs`. Portcullis publishes a new key before signing with it, so a rotation
 * normally never causes a miss. A token served from the cache of verified tokens is refused
 * once its `kid` is no longer in the JWKS; a JWKS older than `cacheMaxAgeMs` is fetched again
 * for that check, so a revoked key stops verifying here within `cacheMaxAgeMs`.
 *
 * @throws TypeError at creation for inconsistent options (both or neither of `jwksUrl` and
 * `secret`, a short secret, mixed or unknown algorithms, an unknown `subject`).
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const hasUrl = options.jwksUrl !== undefined
  const hasSecret = options.secret !== undefined
  if (hasUrl === hasSecret) throw new TypeError('give exactly one of jwksUrl and secret')
  if (!options.issuer) throw new TypeError('issuer is required')
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience]
  if (audience.length === 0 || audience.some((a) => !a)) throw new TypeError('audience is required')
  const source: KeySource =
    options.secret !== undefined
      ? secretSource(options.secret, options.algorithms)
      : jwksSource(options as JwksVerifierOptions, options.algorithms)
  const realm = options.realm ?? (audience[0] as string)
  const now = options.now ?? Date.now
  const maxLength = options.maxTokenLength ?? 16_384
  const clockTolerance = options.clockTolerance ?? 0
  const cacheSize = options.cacheSize ?? 10_000
  const maxTokenAge = options.maxTokenAge ?? 86_400
  if (!Number.isFinite(maxTokenAge) || maxTokenAge <= 0) {
    throw new TypeError('maxTokenAge must be a positive number of seconds')
  }
  const defaultSubject = checkedSubject(options.subject ?? 'user', 'subject')
  const cache = new VerifiedTokenCache({ size: cacheSize, clockTolerance, now, source, realm })
  const invalid = (description: string) => invalidToken(realm, description)

  /**
   * RFC 7515 §2: one spelling per token. jose decodes leniently on Node 20 (padding,
   * whitespace, stray bits), so this runs before the cache and before any decoding.
   */
  function checkSpelling(token: unknown): asserts token is string {
    if (typeof token !== 'string' || token.length > maxLength || !isCanonicalCompactJws(token)) {
      throw invalid('the access token is malformed')
    }
  }

  async function verify(token: string, call: VerifyOptions = {}): Promise<VerifiedClaims> {
    const subject =
      call.subject === undefined ? defaultSubject : checkedSubject(call.subject, 'subject')
    checkSpelling(token)
    // The kind of token is checked on every call, cached or not: a cache entry made by a
    // machine route must not let the same token into a user route.
    const cached = await cache.lookup(token)
    if (cached) return assertSubject(cached, subject, realm)
    const kid = checkHeader(token, source, realm)
    const payload = await verifySignature(token, source, {
      issuer: options.issuer,
      audience,
      clockTolerance,
      now: now(),
      realm,
    })
    const claims = toVerifiedClaims(payload, realm)
    // Portcullis never issues a token living longer than its highest TTL: a longer one was
    // forged (with a leaked key) or comes from a misconfigured issuer, and is never cached.
    if (claims.exp - claims.iat > maxTokenAge) {
      throw invalid('the access token lifetime exceeds what this service accepts')
    }
    cache.remember(token, claims, kid)
    return assertSubject(claims, subject, realm)
  }
  return { verify, realm }
}
