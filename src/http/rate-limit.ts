import type { FastifyRequest } from 'fastify'
import type { RateLimit } from '../auth/rate-limiter.js'
import type { Services } from '../services.js'
import { clientKey } from './client-ip.js'

/**
 * Hook factory: counts the request against the client IP's limit for `name` (IPv6 by /64,
 * counted in the store so every instance shares the count); over it, 429 with Retry-After.
 * Does nothing when PORTCULLIS_RATE_LIMITS is false.
 */
export function rateLimit(services: Services, name: string, rule: RateLimit) {
  return async function limitRequests(request: FastifyRequest) {
    if (!services.config.limits.enabled) return
    await services.rateLimiter.hit(name, clientKey(request.ip), rule)
  }
}

/** The per-minute rule for unauthenticated endpoints other than registration. */
export const perMinute = (services: Services): RateLimit => ({
  limit: services.config.limits.requestsPerMinute,
  windowSeconds: 60,
})
