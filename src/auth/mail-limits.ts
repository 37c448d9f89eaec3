import { clientKey } from './client-key.js'
import type { RateLimiter } from './rate-limiter.js'
import { sha256 } from './sha256.js'

/** The hourly limits on requests that send mail (PORTCULLIS_MAIL_IP_LIMIT, _ADDRESS_LIMIT). */
export interface MailLimitPolicy {
  perIpPerHour: number
  perAddressPerHour: number
}

const hour = 3600

/**
 * The counter key of an address: the SHA-256 of its canonical form, so the counters never hold
 * an address in clear and every spelling of one address shares a count.
 */
export const addressKey = (emailCanonical: string) => sha256(emailCanonical)

/**
 * Limits on the requests that send mail to an address (verification resends, email changes):
 * per client IP and per address, an hour each, counted in the store (every instance shares
 * them). Over either: 429 with Retry-After. The address is counted whether or not anyone holds
 * it, before anything is looked up, so the answer and its Retry-After tell nothing about it.
 */
export class MailLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly policy: MailLimitPolicy,
  ) {}

  /**
   * Counts one request from `ip` (null: not over HTTP, no IP limit) about `emailCanonical`
   * (null: no address, no address limit); throws 429 when over a limit. One budget per IP and
   * one per address cover every endpoint that sends mail: spreading requests over them gains
   * nothing.
   */
  async hit(ip: string | null, emailCanonical: string | null): Promise<void> {
    if (ip !== null) {
      await this.limiter.hit('mail_ip', clientKey(ip), {
        limit: this.policy.perIpPerHour,
        windowSeconds: hour,
      })
    }
    if (emailCanonical !== null) {
      await this.limiter.hit('mail_address', addressKey(emailCanonical), {
        limit: this.policy.perAddressPerHour,
        windowSeconds: hour,
      })
    }
  }
}
