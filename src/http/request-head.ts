import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { ApiError, invalidRequest } from '../errors.js'
import { headerCount } from './header-count.js'

/**
 * onRequest hook, first of all: refuses a request whose head this server would read
 * differently from a proxy in front of it.
 * - An HTTP version other than 1.0 or 1.1 is 505 (RFC 9110 §15.6.6). Node's parser accepts
 *   `HTTP/0.9` and `HTTP/2.0` request lines and would answer them as HTTP/1.1; any other version
 *   is refused by the parser itself, in the same shape (client-error.ts).
 * - An HTTP/1.1 request without Host, or with more than one, is 400 (RFC 9112 §3.2).
 * - More than one Content-Type is 400: Node would parse the body as the first.
 */
export function checkRequestHead(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  const { httpVersionMajor: major, httpVersionMinor: minor } = request.raw
  if (major !== 1 || (minor !== 0 && minor !== 1)) {
    return done(
      new ApiError('http_version_not_supported', 'only HTTP/1.0 and HTTP/1.1 are supported'),
    )
  }
  const hosts = headerCount(request.raw, 'host')
  if (hosts > 1) return done(invalidRequest('more than one Host header'))
  if (hosts === 0 && minor === 1) {
    return done(invalidRequest('an HTTP/1.1 request needs a Host header'))
  }
  if (headerCount(request.raw, 'content-type') > 1) {
    return done(invalidRequest('more than one Content-Type header'))
  }
  done()
}
