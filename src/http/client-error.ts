import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyBaseLogger } from 'fastify'
import { type ErrorBody, errorStatus } from '../errors.js'
import { securityHeaderValues } from './security-headers.js'

/** What each connection-level error of Node's HTTP parser or timers is answered with. */
function classify(error: ConnectionError): ErrorBody {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        error: 'request_timeout',
        error_description: 'the request was not received in time',
      }
    case 'HPE_HEADER_OVERFLOW':
      return {
        error: 'headers_too_large',
        error_description: 'the request line and headers exceed 16 KiB',
      }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { error: 'payload_too_large', error_description: 'the chunk extensions are too large' }
    case 'HPE_INVALID_VERSION':
      return {
        error: 'http_version_not_supported',
        error_description: 'only HTTP/1.0 and HTTP/1.1 are supported',
      }
    default:
      return { error: 'invalid_request', error_description: 'the request is not valid HTTP' }
  }
}

/** The raw bytes of an error response, with the security headers, closing the connection. */
export function rawErrorResponse(body: ErrorBody): string {
  const status = errorStatus[body.error]
  const json = JSON.stringify(body)
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(securityHeaderValues).map(([name, value]) => `${name}: ${value}`),
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
  ]
  return `${headers.join('\r\n')}\r\n\r\n${json}`
}

/**
 * Fastify `clientErrorHandler`: answers the errors Node raises before a request reaches Fastify
 * (a malformed request, headers over 16 KiB, an unsupported HTTP version, a client too slow to
 * send its headers or body) in the one error shape with the security headers, then closes the
 * connection. Node's and Fastify's own answers are a bare status line or another JSON shape.
 */
export function clientErrorHandler(log: FastifyBaseLogger) {
  return function answerClientError(error: ConnectionError, socket: Socket) {
    // A reset connection has no one left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const body = classify(error)
    log.debug({ code: error.code, error: body.error }, 'client error')
    // Like Node itself, write only when no response has started on this socket: bytes after a
    // partly sent response would corrupt it (`_httpMessage` is the response in flight, if any).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (socket.writable && !inFlight?.headersSent) socket.write(rawErrorResponse(body))
    socket.destroy(error)
  }
}
