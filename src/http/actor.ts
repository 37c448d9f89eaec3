import type { FastifyRequest } from 'fastify'
import type { Actor, RequestMeta } from '../auth/audit.js'

/** The user agent as the audit log keeps it: at most 256 characters. */
export const userAgentOf = (request: FastifyRequest) =>
  request.headers['user-agent']?.slice(0, 256) ?? null

/** The audit actor of a request made by `id` (a user or client id). */
export const actorOf = (request: FastifyRequest, id: string): Actor => ({
  id,
  ip: request.ip,
  userAgent: userAgentOf(request),
})

/** Where a request came from, for the audit records of the services it calls. */
export const requestMetaOf = (request: FastifyRequest): RequestMeta => ({
  ip: request.ip,
  userAgent: userAgentOf(request),
})
