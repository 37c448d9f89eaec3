import type { FastifyRequest } from 'fastify'
import type { AuditService } from '../auth/audit.js'
import { clientKey } from '../auth/client-key.js'
import type { ClientService } from '../auth/clients.js'
import { isClientIdShape } from '../auth/clients.js'
import type { RateLimit, RateLimiter } from '../auth/rate-limiter.js'
import { ApiError, invalidRequest } from '../errors.js'
import type { ClientRecord } from '../store/store.js'
import { headerCount } from './header-count.js'

/** 401 invalid_client with a Basic challenge (RFC 6749 §5.2). */
export const clientFailed = (description: string) =>
  new ApiError('invalid_client', description, { 'www-authenticate': 'Basic realm="portcullis"' })

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw clientFailed('client authentication failed')
  }
}

/**
 * The Basic credentials (RFC 7617 §2: base64 of RFC 4648 §4) decoded, accepting only the one
 * canonical spelling: Node's decoder also takes the base64url alphabet, missing padding and
 * stray characters, so two spellings of one secret (or a smuggled suffix) would pass.
 */
function decodeBasic(value: string): string {
  const bytes = Buffer.from(value, 'base64')
  if (bytes.toString('base64') !== value) {
    throw clientFailed('the Basic credentials are not canonical base64 (RFC 7617)')
  }
  return bytes.toString()
}

/** The client parameters of a form (token, revocation and introspection requests). */
export interface ClientForm {
  client_id?: string | undefined
  client_secret?: string | undefined
}

/** Client credentials as sent: HTTP Basic (RFC 6749 §2.3.1) or form parameters. */
function readCredentials(request: FastifyRequest, form: ClientForm, basic: boolean) {
  const formId = form.client_id === '' ? undefined : form.client_id
  const formSecret = form.client_secret === '' ? undefined : form.client_secret
  const header = basic ? request.headers.authorization : undefined
  if (header === undefined) {
    if (formId === undefined && formSecret !== undefined) {
      throw clientFailed('client_secret was sent without client_id')
    }
    return formId === undefined ? null : { id: formId, secret: formSecret }
  }
  // Node keeps only the first of repeated Authorization headers: refuse rather than pick one.
  if (headerCount(request.raw, 'authorization') > 1) {
    throw invalidRequest('more than one Authorization header')
  }
  const [scheme = ''] = header.split(' ', 1)
  if (scheme.toLowerCase() !== 'basic') throw clientFailed('client authentication must use Basic')
  // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
  if (formSecret !== undefined) {
    throw invalidRequest('send the client secret either in Basic or in the form, not both')
  }
  const decoded = decodeBasic(header.slice(scheme.length).replace(/^ +/, ''))
  const colon = decoded.indexOf(':')
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  const id = decode(colon < 0 ? decoded : decoded.slice(0, colon))
  const secret = colon < 0 ? undefined : decode(decoded.slice(colon + 1))
  // No client_id holds NUL or is empty (and PostgreSQL could not even look one up).
  if (id === '' || id.includes('\u0000')) throw clientFailed('client authentication failed')
  if (formId !== undefined && formId !== id) {
    throw clientFailed('client_id does not match the credentials')
  }
  return { id, secret }
}

/** What client authentication uses. */
export interface ClientAuthDeps {
  clients: ClientService
  audit: AuditService
  rateLimiter: RateLimiter
  /** The per-IP rule failures count against (PORTCULLIS_REQUEST_LIMIT a minute). */
  failureLimit: RateLimit
}

/** A client authenticator, built once and shared by /token, /revoke and /introspect. */
export type ClientAuthenticator = ReturnType<typeof clientAuthenticator>

/**
 * Authenticates the calling client, if it identifies itself: a registered client with its
 * secret (confidential) or without one (public), or the built-in first-party client. Returns
 * null when the request names no client; any failure is 401 invalid_client with a Basic
 * challenge, whatever the reason (unknown id, wrong or missing secret), so the answer does not
 * tell which clients exist. Failures count against the caller's IP (429 past
 * PORTCULLIS_REQUEST_LIMIT a minute), so guessing secrets is slow as well as hopeless, and each
 * failure within that limit leaves a `client.auth_failure` audit record: the client id it
 * claimed (when it has the shape of one) and the address, never the secret.
 */
export function clientAuthenticator(services: ClientAuthDeps) {
  return async function authenticateClient(
    request: FastifyRequest,
    form: ClientForm,
    /** false: the Authorization header carries something else (`POST /mfa/associate`). */
    basic = true,
  ): Promise<ClientRecord | null> {
    let claimed = form.client_id
    try {
      const credentials = readCredentials(request, form, basic)
      if (!credentials) return null
      claimed = credentials.id
      const client = await services.clients.verify(credentials.id, credentials.secret)
      if (!client) throw clientFailed('client authentication failed')
      return client
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_client') {
        // Past the limit this throws 429 first: a flood cannot flood the audit table too.
        await services.rateLimiter.hit('client-auth', clientKey(request.ip), services.failureLimit)
        await services.audit.record({
          type: 'client.auth_failure',
          outcome: 'failure',
          clientId: claimed !== undefined && isClientIdShape(claimed) ? claimed : null,
          ip: request.ip,
        })
      }
      throw error
    }
  }
}
