import cors from '@fastify/cors'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import { invalidRequest } from '../errors.js'

/** Cross-origin settings: no origins means CORS is off; `['*']` means any origin. */
export interface CorsConfig {
  origins: string[]
  credentials: boolean
}

/**
 * Parses PORTCULLIS_CORS_ORIGINS: comma-separated origins written exactly as browsers send them
 * (`scheme://host[:port]`, lowercase, no default port, no path or trailing slash), or the lone
 * literal `*`. Throws an Error whose message completes "PORTCULLIS_CORS_ORIGINS …".
 */
export function parseCorsOrigins(raw: string | undefined): string[] {
  const value = raw?.trim() ?? ''
  if (value === '') return []
  const entries = value.split(',').map((entry) => entry.trim())
  if (entries.includes('*')) {
    if (entries.length > 1) throw new Error('"*" must stand alone')
    return entries
  }
  for (const entry of entries) {
    let canonical: string | undefined
    try {
      const url = new URL(entry)
      if (url.protocol === 'https:' || url.protocol === 'http:') {
        canonical = `${url.protocol}//${url.host}`
      }
    } catch {
      canonical = undefined
    }
    if (canonical !== entry || entry.includes('*')) {
      throw new Error(
        `must be comma-separated origins like https://app.example.com or https://app.example.com:8443, lowercase, with no path, trailing slash, default port or wildcard (bad entry "${entry}"${canonical ? `; did you mean "${canonical}"?` : ''})`,
      )
    }
  }
  return entries
}

/**
 * onRequest hook, before CORS: an OPTIONS request without `Origin` or
 * `Access-Control-Request-Method` is no preflight (Fetch standard, CORS-preflight request) and
 * is refused with 400 in the error shape; @fastify/cors's strict mode would answer it in plain
 * text.
 */
function refuseIncompletePreflight(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  if (
    request.method === 'OPTIONS' &&
    (request.headers.origin === undefined ||
      request.headers['access-control-request-method'] === undefined)
  ) {
    return done(
      invalidRequest('a CORS preflight needs Origin and Access-Control-Request-Method headers'),
    )
  }
  done()
}

/**
 * Registers @fastify/cors when origins are configured: exact string comparison only (a request
 * `Origin` either equals an entry or gets no CORS headers; a disallowed preflight is a 404).
 */
export async function registerCors(app: FastifyInstance, config: CorsConfig): Promise<void> {
  if (config.origins.length === 0) return
  const allowed = new Set(config.origins)
  app.addHook('onRequest', refuseIncompletePreflight)
  await app.register(cors, {
    origin: allowed.has('*')
      ? '*'
      : (origin, callback) => {
          callback(null, origin !== undefined && allowed.has(origin) ? origin : false)
        },
    credentials: config.credentials,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
    maxAge: 600,
    strictPreflight: true,
  })
}
