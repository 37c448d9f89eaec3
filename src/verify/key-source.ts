import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose'

/** Asymmetric JWS algorithms a JWKS verifier may pin (RFC 7518 §3.1, RFC 8037). */
export const asymmetricAlgorithms = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const
/** HMAC algorithms a shared-secret verifier may pin. */
export const symmetricAlgorithms = ['HS256', 'HS384', 'HS512'] as const

/** How keys are obtained: the options of a JWKS verifier. */
export interface JwksSourceOptions {
  jwksUrl: string | URL
  fetch?: typeof fetch
  cooldownMs?: number
  cacheMaxAgeMs?: number
  timeoutMs?: number
}

/** The key getter and allowlist a verifier hands to jose. @internal */
export interface KeySource {
  key: JWTVerifyGetKey
  algorithms: string[]
  /** Whether tokens must name their key with `kid` (JWKS mode). */
  requireKid: boolean
  /**
   * Whether a token verified earlier under `kid` may still be served from the verifier cache:
   * its key is among the keys the source holds now. A JWKS held longer than its max age is
   * fetched again first (jose refreshes only when asked, and a cache hit never asks), so a key
   * removed from the JWKS stops a cached token within `cacheMaxAgeMs`. A secret has no kids:
   * always true. Rejects with {@link KeySourceUnavailable} when that fetch fails.
   */
  stillHolds(kid: string | undefined): Promise<boolean>
}

/** The keys could not be obtained (network, status, JSON): a 503, not the token's fault. */
export class KeySourceUnavailable extends Error {
  override name = 'KeySourceUnavailable'
}

/** Minimum HMAC secret length: RFC 7518 §3.2 (a key as long as the hash output). */
export const minSecretBytes = 32

function pinned(
  requested: readonly string[] | undefined,
  fallback: readonly string[],
  allowed: readonly string[],
  mode: string,
): string[] {
  const list = [...(requested ?? fallback)]
  if (list.length === 0) throw new TypeError('algorithms must not be empty')
  for (const alg of list) {
    if (!allowed.includes(alg)) {
      throw new TypeError(
        `algorithm ${alg} cannot be used with ${mode} (allowed: ${allowed.join(', ')}); symmetric and asymmetric algorithms are never mixed`,
      )
    }
  }
  return list
}

/** A shared-secret source: HS256 by default, HMAC algorithms only. @internal */
export function secretSource(secret: string | Uint8Array, algorithms?: readonly string[]) {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (bytes.byteLength < minSecretBytes) {
    throw new TypeError(`secret must be at least ${minSecretBytes} bytes`)
  }
  return {
    key: () => bytes,
    algorithms: pinned(algorithms, ['HS256'], symmetricAlgorithms, 'a shared secret'),
    requireKid: false,
    stillHolds: async () => true,
  } satisfies KeySource
}

function jwksUrlOf(raw: string | URL): URL {
  const url = new URL(raw)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`jwksUrl must be an http(s) URL (got ${url.protocol})`)
  }
  return url
}

/**
 * A remote JWKS source through jose's `createRemoteJWKSet`: fetched lazily on the first token,
 * cached for `cacheMaxAgeMs`, fetched again when a token names an unknown `kid` but at most once
 * per `cooldownMs`; concurrent misses share one request; redirects are not followed. The URL is
 * only ever the configured one: headers that point to keys are refused before this runs.
 * @internal
 */
export function jwksSource(options: JwksSourceOptions, algorithms?: readonly string[]) {
  const userFetch = options.fetch
  const remote = createRemoteJWKSet(jwksUrlOf(options.jwksUrl), {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 300_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
    ...(userFetch
      ? { [customFetch]: (url: string, init: RequestInit) => userFetch(url, init) }
      : {}),
  })
  const unavailable = (error: unknown) =>
    new KeySourceUnavailable('the signing keys could not be fetched', { cause: error })
  const key = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    try {
      return await remote(header, token)
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error
      }
      throw unavailable(error)
    }
  }
  const stillHolds = async (kid: string | undefined) => {
    if (kid === undefined) return false
    if (!remote.fresh) {
      try {
        await remote.reload()
      } catch (error) {
        throw unavailable(error)
      }
    }
    return remote.jwks()?.keys.some((jwk) => jwk.kid === kid) ?? false
  }
  return {
    key,
    algorithms: pinned(algorithms, ['ES256', 'EdDSA'], asymmetricAlgorithms, 'a JWKS'),
    requireKid: true,
    stillHolds,
  } satisfies KeySource
}
