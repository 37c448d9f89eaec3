import type { IncomingMessage } from 'node:http'
import { ApiError } from '../errors.js'
import { headerCount } from './header-count.js'

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const authorizationPattern = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/

/** RFC 6750 §3 challenge: `Bearer realm="…"`, with an error code only when credentials were sent. */
export function bearerChallenge(realm: string, error?: string, description?: string): string {
  let value = `Bearer realm="${realm}"`
  if (error) value += `, error="${error}"`
  if (description) value += `, error_description="${description}"`
  return value
}

/**
 * Extracts the bearer token from a request, or throws the RFC 6750 §3 error: 401 without an
 * error code when no credentials (or another scheme) were sent, 400 invalid_request when the
 * header is malformed or repeated. The scheme name is case-insensitive.
 */
export function extractBearerToken(request: IncomingMessage, realm: string): string {
  const header = request.headers.authorization
  if (header === undefined) {
    throw new ApiError(
      'unauthorized',
      'authentication required: send Authorization: Bearer <token>',
      {
        'www-authenticate': bearerChallenge(realm),
      },
    )
  }
  const malformed = (description: string) =>
    new ApiError('invalid_request', description, {
      'www-authenticate': bearerChallenge(realm, 'invalid_request', description),
    })
  // Node keeps only the first of repeated Authorization headers; RFC 6750 §3.1 wants 400.
  if (headerCount(request, 'authorization') > 1) {
    throw malformed('more than one Authorization header')
  }
  const match = authorizationPattern.exec(header)
  if (!match) throw malformed('the Authorization header is malformed')
  if (match[1]?.toLowerCase() !== 'bearer') {
    throw new ApiError('unauthorized', 'unsupported authentication scheme: use Bearer', {
      'www-authenticate': bearerChallenge(realm),
    })
  }
  const token = match[2]
  if (!token || !b64token.test(token)) throw malformed('the Authorization header is malformed')
  return token
}
