import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

// Hand-written rather than @fastify/helmet: an API needs these four headers, and helmet's
// HTML-oriented defaults (a dozen headers, a long CSP) would cost on every hot-path response.
/**
 * The headers every response carries, errors included (set first by the request gate, and
 * written by the client-error handler). `Cache-Control: no-store` is the default (RFC 6749 §5.1
 * for anything sensitive); routes serving public, cacheable data override it.
 */
export const securityHeaderValues = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "frame-ancestors 'none'",
  'cache-control': 'no-store',
}

/** onRequest hook for routes that return tokens: RFC 6749 §5.1 also wants `Pragma: no-cache`. */
export function noCache(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  reply.header('pragma', 'no-cache')
  done()
}
