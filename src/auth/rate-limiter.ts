import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { CounterStore } from '../store/store.js'

export interface RateLimit {
  /** Requests allowed per window per client. */
  limit: number
  windowSeconds: number
}

/**
 * Fixed-window request limits per client key (the client IP, IPv6 bucketed by /64), counted
 * in the store so every instance shares them. Over the limit: 429 with Retry-After.
 */
export class RateLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
  ) {}

  async hit(name: string, client: string, rule: RateLimit): Promise<void> {
    const now = this.clock.now()
    const size = rule.windowSeconds * 1000
    const start = Math.floor(now / size) * size
    const count = await this.counters.increment(
      `rate:${name}:${client}`,
      new Date(start).toISOString(),
      new Date(start + size).toISOString(),
    )
    if (count > rule.limit) {
      throw new ApiError('too_many_requests', 'too many requests; try again later', {
        'retry-after': String(Math.max(1, Math.ceil((start + size - now) / 1000))),
      })
    }
  }
}
