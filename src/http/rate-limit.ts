import type { FastifyRequest } from 'fastify'
import { clientKey } from '../auth/client-key.js'
import { perMinute as perMinuteRule, type RateLimit } from '../auth/rate-limiter.js'
import type { Services } from '../services.js'

/**
 * Hook factory: counts the request against the client IP's limit for `name` (IPv6 by /64,
 * counted in the store so every instance shares the count); over it, 429 with Retry-After.
 * Where PORTCULLIS_RATE_LIMITS is false the injected limiter counts nothing.
 */
export function rateLimit(services: Services, name: string, rule: RateLimit) {
  return async function limitRequests(request: FastifyRequest) {
    await services.rateLimiter.hit(name, clientKey(request.ip), rule)
  }
}

/** The per-minute rule for unauthenticated endpoints other than registration. */
export const perMinute = (services: Services): RateLimit =>
  perMinuteRule(services.config.limits.requestsPerMinute)
