import type { IncomingMessage } from 'node:http'
import { ApiError, invalidRequest } from '../errors.js'
import { headerCount } from './header-count.js'

/**
 * Why this server refuses a request whose head it would read differently from a proxy in front
 * of it, or undefined when the head is sound.
 * - An HTTP version other than 1.0 or 1.1 is 505 (RFC 9110 §15.6.6). Node's parser accepts
 *   `HTTP/0.9` and `HTTP/2.0` request lines and would answer them as HTTP/1.1; any other version
 *   is refused by the parser itself, in the same shape (client-error.ts).
 * - An HTTP/1.1 request without Host, or with more than one, is 400 (RFC 9112 §3.2).
 * - More than one Content-Type is 400: Node would parse the body as the first.
 * Node keeps only the first of a repeated Host or Content-Type in `request.headers`, so the
 * raw headers are counted (header-count.ts).
 */
export function requestHeadError(raw: IncomingMessage): ApiError | undefined {
  const { httpVersionMajor: major, httpVersionMinor: minor } = raw
  if (major !== 1 || (minor !== 0 && minor !== 1)) {
    return new ApiError('http_version_not_supported', 'only HTTP/1.0 and HTTP/1.1 are supported')
  }
  const hosts = headerCount(raw, 'host')
  if (hosts > 1) return invalidRequest('more than one Host header')
  if (hosts === 0 && minor === 1) return invalidRequest('an HTTP/1.1 request needs a Host header')
  if (headerCount(raw, 'content-type') > 1)
    return invalidRequest('more than one Content-Type header')
  return undefined
}
