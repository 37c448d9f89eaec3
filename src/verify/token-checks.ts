import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose'
import { VerifyError } from './errors.js'
import { type KeySource, KeySourceUnavailable } from './key-source.js'

/** An `invalid_token` error naming `realm` in its challenge. @internal */
export const invalidToken = (realm: string, description: string, cause?: unknown) =>
  new VerifyError('invalid_token', description, { realm, cause })

/** The signing keys could not be obtained: a 503, not the token's fault. @internal */
export const keysUnavailable = (realm: string, cause: unknown) =>
  new VerifyError('temporarily_unavailable', 'the signing keys are unavailable', { realm, cause })

// RFC 8725 §3.10, RFC 7515 §4.1.2–4.1.7: a token must never choose or carry its own key.
const keyHeaders = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const

/**
 * Header checks that need no key: refuse early, and never fetch keys for them. Returns the
 * `kid` (always present in JWKS mode). @internal
 */
export function checkHeader(token: string, source: KeySource, realm: string): string | undefined {
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(token)
  } catch (error) {
    throw invalidToken(realm, 'the access token is malformed', error)
  }
  for (const name of keyHeaders) {
    if (name in header) throw invalidToken(realm, `the access token header must not carry ${name}`)
  }
  if (typeof header.alg !== 'string' || !source.algorithms.includes(header.alg)) {
    throw invalidToken(realm, 'the access token algorithm is not allowed')
  }
  if (source.requireKid && (typeof header.kid !== 'string' || header.kid === '')) {
    throw invalidToken(realm, 'the access token header lacks a kid')
  }
  return typeof header.kid === 'string' ? header.kid : undefined
}

/** What jose's failure means, in the words of the `error_description`. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the access token is not valid yet'
    if (error.claim === 'typ') return 'the access token is not of type at+jwt'
    if (error.reason === 'missing') return `the access token lacks the ${error.claim} claim`
    return `the access token has an unacceptable ${error.claim} claim`
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the access token algorithm is not allowed'
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'the access token was signed by an unknown key'
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'the access token signature is invalid'
  }
  return 'the access token is malformed'
}

/** The claims a signature check pins (RFC 9068 §4). @internal */
export interface SignatureChecks {
  issuer: string
  audience: string[]
  clockTolerance: number
  /** The current time, milliseconds since the epoch. */
  now: number
  realm: string
}

/**
 * The payload of a token whose signature verifies under `source` and whose `typ` is `at+jwt`,
 * `iss` and `aud` are the expected ones, `exp`/`nbf` hold at `now`, and `iss`, `aud`, `sub`,
 * `exp`, `iat` and `jti` are present. Rejects with `invalid_token` naming the first failure, or
 * `temporarily_unavailable` when the keys cannot be fetched. @internal
 */
export async function verifySignature(
  token: string,
  source: KeySource,
  checks: SignatureChecks,
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, source.key, {
      algorithms: source.algorithms,
      issuer: checks.issuer,
      audience: checks.audience,
      typ: 'at+jwt',
      clockTolerance: checks.clockTolerance,
      currentDate: new Date(checks.now),
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
    })
    return payload
  } catch (error) {
    if (error instanceof KeySourceUnavailable) throw keysUnavailable(checks.realm, error)
    throw invalidToken(checks.realm, reasonOf(error), error)
  }
}
