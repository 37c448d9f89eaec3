import type { FastifyReply } from 'fastify'

/**
 * The Content-Security-Policy of the hosted HTML pages: script and style only from files of
 * this server (no inline script or style, no CDN), nothing else loaded, `fetch` only to this
 * origin (the passkey forms' script asks for WebAuthn options), forms posted only back here, no `<base>` rewriting relative addresses, never framed (clickjacking).
 */
export const htmlPageCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Replaces the API's default headers (see securityHeaderValues) with those of an HTML page: the
 * strict CSP above, `X-Frame-Options: DENY` for browsers older than `frame-ancestors`, and the
 * defaults that stay (`no-store`: a page may hold a form with a one-time link's state;
 * `Referrer-Policy: no-referrer`; `nosniff`) restated so this is the one place to read them.
 */
export function htmlPageHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': htmlPageCsp,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
}
