import type { VerifiedClaims } from './claims.js'
import { defaultRealm, VerifyError } from './errors.js'
import type { Verifier, VerifyOptions } from './verifier.js'

/** Node's header record (`IncomingMessage.headers`, Express, Fastify). */
type NodeHeaders = Record<string, string | string[] | undefined>

/**
 * Anything with request headers: a Node `IncomingMessage` or Express request, a Fastify request
 * (its `raw` is consulted for repeated headers), or a Fetch `Request` (Hono: `c.req.raw`).
 */
export type RequestLike =
  | { headers: Headers }
  | {
      headers: NodeHeaders
      rawHeaders?: readonly string[]
      raw?: { rawHeaders?: readonly string[] }
    }

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const credentialsPattern = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/

function isFetchHeaders(headers: unknown): headers is Headers {
  return typeof (headers as Headers).get === 'function'
}

/** The Authorization header values: several when it was repeated. */
function authorizationValues(request: RequestLike): string[] {
  if (isFetchHeaders(request.headers)) {
    // Fetch joins repeated headers with ", "; a b64token has no comma, so it fails the pattern.
    const value = request.headers.get('authorization')
    return value === null ? [] : [value]
  }
  const node = request as Exclude<RequestLike, { headers: Headers }>
  const raw = node.rawHeaders ?? node.raw?.rawHeaders
  if (raw) {
    const values: string[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      // The length test first spares lowercasing every other header name on the hot path.
      const name = raw[i] as string
      if (name.length === 13 && name.toLowerCase() === 'authorization') {
        values.push(raw[i + 1] as string)
      }
    }
    return values
  }
  const value = node.headers.authorization
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * The bearer token of a request (RFC 6750 §2.1: exactly one `Authorization` header, scheme
 * `Bearer` in any case, a b64token). Throws a {@link VerifyError}: `unauthorized` (401, bare
 * challenge) when there is no header or another scheme, `invalid_request` (400) when the
 * header is malformed or repeated.
 */
export function bearerTokenOf(request: RequestLike, realm: string = defaultRealm): string {
  const values = authorizationValues(request)
  if (values.length === 0) {
    throw new VerifyError(
      'unauthorized',
      'authentication required: send Authorization: Bearer <token>',
      {
        realm,
      },
    )
  }
  const malformed = (description: string) =>
    new VerifyError('invalid_request', description, { realm })
  if (values.length > 1) throw malformed('more than one Authorization header')
  const match = credentialsPattern.exec(values[0] as string)
  if (!match) throw malformed('the Authorization header is malformed')
  if (match[1]?.toLowerCase() !== 'bearer') {
    throw new VerifyError('unauthorized', 'unsupported authentication scheme: use Bearer', {
      realm,
    })
  }
  const token = match[2]
  if (!token || !b64token.test(token)) throw malformed('the Authorization header is malformed')
  return token
}

/**
 * Reads the bearer token of a request and verifies it: the plain helper for Express, Hono or
 * `node:http`. Resolves to the claims or rejects with a {@link VerifyError} whose `status`,
 * `wwwAuthenticate` and `body` are ready to send. Check scopes with `requireScopes`. Only user
 * tokens pass unless `options.subject` (or the verifier's) says otherwise: give
 * `{ subject: 'client' }` on a machine route.
 *
 * @example Express
 * ```ts
 * app.get('/notes', async (req, res) => {
 *   try {
 *     const claims = requireScopes(await verifyRequest(verifier, req), 'notes:read')
 *     res.json(await notesOf(claims.sub))
 *   } catch (error) {
 *     if (!(error instanceof VerifyError)) throw error
 *     res.status(error.status).set('WWW-Authenticate', error.wwwAuthenticate).json(error.body)
 *   }
 * })
 * ```
 * @example Hono: `await verifyRequest(verifier, c.req.raw)`
 */
export function verifyRequest(
  verifier: Verifier,
  request: RequestLike,
  options?: VerifyOptions,
): Promise<VerifiedClaims> {
  try {
    return verifier.verify(bearerTokenOf(request, verifier.realm), options)
  } catch (error) {
    return Promise.reject(error)
  }
}
