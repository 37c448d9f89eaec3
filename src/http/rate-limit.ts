import type { FastifyRequest } from 'fastify'
import { clientKey } from '../auth/client-key.js'
import type { RateLimit, RateLimiter } from '../auth/rate-limiter.js'

/**
 * Hook factory: counts the request against the client IP's limit for `name` (IPv6 by /64,
 * counted in the store so every instance shares the count); over it, 429 with Retry-After.
 * Where PORTCULLIS_RATE_LIMITS is false the injected limiter counts nothing.
 */
export function rateLimit(limiter: RateLimiter, name: string, rule: RateLimit) {
  return async function limitRequests(request: FastifyRequest) {
    await limiter.hit(name, clientKey(request.ip), rule)
  }
}
