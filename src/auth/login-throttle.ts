import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { CounterStore } from '../store/store.js'

export interface ThrottlePolicy {
  /** Failed logins one client IP may make per window before 429. */
  ipFailures: number
  ipWindowSeconds: number
  /** Consecutive failures of one account from one IP before delays start (then 1 min, doubling). */
  pairFailures: number
  maxDelaySeconds: number
  /** Consecutive failures of one account across all IPs before it is slowed for unknown devices. */
  accountFailures: number
  /** NIST SP 800-63B-4 §3.2.2: never more than this many consecutive failures per account. */
  accountHardLimit: number
}

const iso = (ms: number) => new Date(ms).toISOString()
const consecutive = 'consecutive'

/** 429 with Retry-After; the same answer whether or not the account exists. */
const tooMany = (retryAfterMs: number) =>
  new ApiError('too_many_requests', 'too many failed logins; try again later', {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  })

/**
 * Brute-force protection for password checks (RFC 6749 §4.3.2) that an attacker cannot turn
 * against the owner: failures are counted per client IP, per (account, IP) pair, and per account.
 * The pair counter delays that IP only; the account-wide counter slows only devices that never
 * logged in (a device token proves one did), so hammering an account from elsewhere does not lock
 * its owner out. Accounts are keyed by the canonical login whether or not they exist, so the
 * answers reveal nothing. Counters live in the store: every instance sees the same counts.
 */
export class LoginThrottle {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    private readonly policy: ThrottlePolicy,
    private readonly deviceKey: string,
  ) {}

  /** Throws 429 when this attempt must not be checked at all (even a correct password). */
  async check(account: string, ip: string, deviceToken: string | undefined): Promise<void> {
    const now = this.clock.now()
    const [byIp, pair, whole] = await Promise.all([
      this.counters.get(`ip:${ip}`),
      this.counters.get(`pair:${account}:${ip}`),
      this.counters.get(`account:${account}`),
    ])
    if (byIp && byIp.windowStart === this.ipWindow(now) && byIp.count >= this.policy.ipFailures) {
      throw tooMany(Date.parse(byIp.windowStart) + this.policy.ipWindowSeconds * 1000 - now)
    }
    for (const record of [pair, this.isKnownDevice(account, deviceToken) ? null : whole]) {
      const until = record?.blockedUntil ? Date.parse(record.blockedUntil) : 0
      if (until > now) throw tooMany(until - now)
    }
  }

  /**
   * Records a failed attempt and sets the delays it earns. Returns the lockouts this failure
   * started (`ip`, `pair`, `account`): each is reported once when it begins, not per refusal.
   */
  async failed(account: string, ip: string): Promise<Array<'ip' | 'pair' | 'account'>> {
    const now = this.clock.now()
    const [ipCount, pairCount, accountCount] = await Promise.all([
      this.counters.increment(`ip:${ip}`, this.ipWindow(now)),
      this.counters.increment(`pair:${account}:${ip}`, consecutive),
      this.counters.increment(`account:${account}`, consecutive),
    ])
    const { pairFailures, accountFailures, accountHardLimit, maxDelaySeconds } = this.policy
    if (pairCount >= pairFailures) {
      await this.counters.block(
        `pair:${account}:${ip}`,
        iso(now + this.delayMs(pairCount - pairFailures)),
      )
    }
    if (accountCount >= accountHardLimit) {
      await this.counters.block(`account:${account}`, iso(now + maxDelaySeconds * 1000))
    } else if (accountCount >= accountFailures) {
      await this.counters.block(
        `account:${account}`,
        iso(now + this.delayMs(accountCount - accountFailures)),
      )
    }
    const started: Array<'ip' | 'pair' | 'account'> = []
    if (ipCount === this.policy.ipFailures) started.push('ip')
    if (pairCount === pairFailures) started.push('pair')
    if (accountCount === accountFailures || accountCount === accountHardLimit)
      started.push('account')
    return started
  }

  /** Clears the account's counters for this IP (and account-wide) and returns a device token. */
  async succeeded(account: string, ip: string): Promise<string> {
    await Promise.all([
      this.counters.reset(`pair:${account}:${ip}`),
      this.counters.reset(`account:${account}`),
    ])
    const device = randomUUID()
    return `${device}.${this.sign(account, device)}`
  }

  private isKnownDevice(account: string, token: string | undefined): boolean {
    const [device, mac] = (token ?? '').split('.')
    if (!device || !mac) return false
    const expected = Buffer.from(this.sign(account, device))
    const given = Buffer.from(mac)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  private sign(account: string, device: string): string {
    return createHmac('sha256', this.deviceKey).update(`${account}\n${device}`).digest('base64url')
  }

  /** 1 minute, doubling per further failure, capped. */
  private delayMs(extraFailures: number): number {
    return Math.min(60_000 * 2 ** Math.min(extraFailures, 20), this.policy.maxDelaySeconds * 1000)
  }

  private ipWindow(now: number): string {
    const size = this.policy.ipWindowSeconds * 1000
    return iso(Math.floor(now / size) * size)
  }
}
