import type { FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'

const failed = (description: string) =>
  new ApiError('invalid_client', description, { 'www-authenticate': 'Basic realm="token"' })

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw failed('client authentication failed')
  }
}

/**
 * Client authentication for the token and revocation endpoints. Only the first-party public
 * client exists: a `client_id` parameter, if sent, must name it; HTTP Basic credentials, if
 * sent, must name it with an empty secret. A failed Basic attempt is 401 with a Basic challenge
 * (RFC 6749 §5.2); an unknown `client_id` is 401 invalid_client.
 */
export function authenticateClient(
  request: FastifyRequest,
  clientId: string | undefined,
  expected: string,
) {
  const header = request.headers.authorization
  if (header !== undefined) {
    const [scheme, value = ''] = header.split(' ', 2)
    if (scheme?.toLowerCase() !== 'basic') throw failed('client authentication must use Basic')
    const decoded = Buffer.from(value, 'base64').toString()
    const colon = decoded.indexOf(':')
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    const id = decode(colon < 0 ? decoded : decoded.slice(0, colon))
    const secret = colon < 0 ? '' : decode(decoded.slice(colon + 1))
    if (id !== expected || secret !== '') throw failed('client authentication failed')
    if (clientId !== undefined && clientId !== id)
      throw failed('client_id does not match the credentials')
  }
  if (clientId !== undefined && clientId !== expected) {
    throw new ApiError('invalid_client', 'unknown client_id')
  }
  return expected
}
