import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { CounterStore } from '../store/store.js'

export interface RateLimit {
  /** Requests allowed per window per client. */
  limit: number
  windowSeconds: number
}

/** The rule of `limit` requests a minute (PORTCULLIS_REQUEST_LIMIT, for unauthenticated endpoints). */
export const perMinute = (limit: number): RateLimit => ({ limit, windowSeconds: 60 })

/**
 * Fixed-window request limits per client key (the client IP, IPv6 bucketed by /64), counted
 * in the store so every instance shares them. Over the limit: 429 with Retry-After.
 */
export class RateLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
  ) {}

  /** Counts one request of `client` (its `clientKey`) against `name`; over `rule`, throws 429. */
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

/**
 * The limiter where limits are off (PORTCULLIS_RATE_LIMITS=false, refused in production):
 * counts nothing and refuses nothing. Injected once by the composition root, so no caller asks.
 */
export class NoRateLimits extends RateLimiter {
  override async hit(): Promise<void> {}
}
