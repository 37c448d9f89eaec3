import type { IncomingMessage } from 'node:http'
import { ApiError } from '../errors.js'
import { bearerTokenOf } from '../verify/bearer.js'
import { VerifyError } from '../verify/errors.js'

/**
 * The RFC 6750 §3 challenge builder of the published verifier: the server and every resource
 * server using `portcullis/verify` answer with the same `WWW-Authenticate` value, the realm a
 * quoted-string with `"` and `\` escaped (RFC 9110 §5.6.4) and the other parameters kept within
 * the characters RFC 6750 §3 allows.
 */
export { bearerChallenge } from '../verify/errors.js'

/**
 * Extracts the bearer token of a request with the verifier's parser (RFC 6750 §2.1: exactly one
 * Authorization header, scheme `Bearer` in any case, a b64token), or throws its RFC 6750 §3
 * error as an {@link ApiError}: 401 `unauthorized` with the bare challenge when no credentials
 * (or another scheme) were sent, 400 `invalid_request` when the header is malformed or repeated
 * (Node keeps only the first of repeated headers; the parser counts them in `rawHeaders`).
 */
export function extractBearerToken(request: IncomingMessage, realm: string): string {
  try {
    return bearerTokenOf(request, realm)
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error
    throw new ApiError(error.code, error.description, {
      'www-authenticate': error.wwwAuthenticate,
    })
  }
}
