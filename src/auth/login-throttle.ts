import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { CounterStore, Reservation } from '../store/store.js'

export interface ThrottlePolicy {
  /** Login attempts one client IP may have failing or in flight per window before 429. */
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

export type Lockout = 'ip' | 'pair' | 'account'

/**
 * One reserved password check. Settle it exactly once: `failed` keeps the reservation as a
 * counted failure, `succeeded` clears the account's failures, `release` gives it back (no
 * password was checked, or the check is not a login).
 */
export interface LoginAttempt {
  /** Returns the lockouts this attempt started: each is reported once when it begins. */
  failed(): Promise<Lockout[]>
  /**
   * Clears the account's counters (account-wide and for this IP); returns a device token, or
   * null where throttling is off (no token is needed to skip a slow-down that never happens).
   */
  succeeded(): Promise<string | null>
  release(): Promise<void>
}

const iso = (ms: number) => new Date(ms).toISOString()
const consecutive = 'consecutive'
/**
 * How long consecutive failures are remembered after the last one (and after its block): the
 * counter rows of an attack with random usernames are deleted then, so the table stays bounded.
 */
const forgetMs = 24 * 3600 * 1000
/**
 * The expiry of a real account's consecutive-failure counter: never by time. NIST SP 800-63B-4
 * §3.2.2 caps consecutive failures until a success, so only a success clears it; there is at
 * most one such row per user.
 */
const untilSuccess = '9999-12-31T23:59:59.999Z'

/** 429 with Retry-After; the same answer whether or not the account exists. */
const tooMany = (retryAfterMs: number) =>
  new ApiError('too_many_requests', 'too many failed logins; try again later', {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  })

/**
 * The throttling key of the account a login names: the user's id when it matches a user (so
 * every spelling, username or email, counts together), else the login's canonical text (see
 * `canonicalLogin`; a login that has none, as given, lowercased and bounded).
 */
export function accountKey(user: { id: string } | null, login: string): string {
  if (user) return `user:${user.id}`
  return `login:${login.toLowerCase().slice(0, 256)}`
}

/**
 * Brute-force protection for password checks (RFC 6749 §4.3.2) that an attacker cannot turn
 * against the owner: attempts are counted per client IP, per (account, IP) pair, and per
 * account. The pair counter delays that IP only; the account-wide counter slows only devices
 * that never logged in (a device token proves one did), so hammering an account from elsewhere
 * does not lock its owner out. Counters live in the store: every instance sees the same counts.
 *
 * Every attempt is reserved, atomically, before its password is hashed, and earns its block at
 * once: a burst of parallel guesses, on any number of instances, gets no more password checks
 * than the limits allow (ASVS 6.3.5). A success gives its IP slot back and clears the account.
 */
export class LoginThrottle {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    private readonly policy: ThrottlePolicy,
    private readonly deviceKey: string,
    /** Called for each attempt the throttle refuses (429): the metrics count them. */
    private readonly onRefused: () => void = () => {},
  ) {}

  /**
   * Reserves one password check of `account` (see `accountKey`) from `ip`; throws 429 with
   * Retry-After, having reserved nothing, when the check must not happen (even with a correct
   * password).
   */
  async reserve(
    account: string,
    ip: string,
    deviceToken: string | undefined,
  ): Promise<LoginAttempt> {
    const now = this.clock.now()
    const { ipFailures, ipWindowSeconds, pairFailures, accountFailures, accountHardLimit } =
      this.policy
    const size = ipWindowSeconds * 1000
    const window = Math.floor(now / size) * size
    const keys = { ip: `ip:${ip}`, pair: `pair:${account}:${ip}`, account: `account:${account}` }
    const ipCount = await this.counters.reserve(keys.ip, {
      windowStart: iso(window),
      now: iso(now),
      limit: ipFailures,
      expiresAt: iso(window + size),
    })
    if (ipCount === null) {
      this.onRefused()
      throw tooMany(window + size - now)
    }
    const releaseIp = () => this.counters.release(keys.ip, iso(window))

    const pairCount = await this.counters.reserve(
      keys.pair,
      this.consecutive(now, this.delays(now, pairFailures)),
    )
    if (pairCount === null) {
      await releaseIp()
      throw await this.blocked(keys.pair, now)
    }
    const accountBlocks = [
      ...this.delays(now, accountFailures),
      { fromCount: accountHardLimit, until: iso(now + this.policy.maxDelaySeconds * 1000) },
    ]
    const accountCount = await this.counters.reserve(keys.account, {
      ...this.consecutive(now, accountBlocks),
      ...(account.startsWith('user:') ? { expiresAt: untilSuccess } : {}),
      ignoreBlock: this.isKnownDevice(account, deviceToken),
    })
    if (accountCount === null) {
      await Promise.all([releaseIp(), this.counters.release(keys.pair, consecutive)])
      throw await this.blocked(keys.account, now)
    }

    let settled = false
    const settle = () => {
      if (settled) throw new Error('a login attempt is settled once')
      settled = true
    }
    return {
      failed: async () => {
        settle()
        const started: Lockout[] = []
        if (ipCount === ipFailures) started.push('ip')
        if (pairCount === pairFailures) started.push('pair')
        if (accountCount === accountFailures || accountCount === accountHardLimit)
          started.push('account')
        return started
      },
      succeeded: async () => {
        settle()
        await Promise.all([
          releaseIp(),
          this.counters.reset(keys.pair),
          this.counters.reset(keys.account),
        ])
        return this.deviceToken(account)
      },
      release: async () => {
        settle()
        await Promise.all([
          releaseIp(),
          this.counters.release(keys.pair, consecutive),
          this.counters.release(keys.account, consecutive),
        ])
      },
    }
  }

  /**
   * Forgets every failure counted against the user's account: the account-wide counter and its
   * pair counter with every IP. After a password reset the owner proved control of the
   * account's address, so blocks earned by guesses at the old password must not keep them out.
   * The per-IP counters are left alone: they are about the IP, not the account.
   */
  async clearAccount(userId: string): Promise<void> {
    const account = accountKey({ id: userId }, '')
    await Promise.all([
      this.counters.reset(`account:${account}`),
      this.counters.resetPrefix(`pair:${account}:`),
    ])
  }

  /**
   * A new device token for `account` (see `accountKey`): what `succeeded` returns, for a login
   * whose password step succeeded earlier (a second factor completed it); null where throttling
   * is off.
   */
  deviceToken(account: string): string | null {
    const device = randomUUID()
    return `${device}.${this.sign(account, device)}`
  }

  /** Deletes expired counter rows (of logins and rate limits) in batches; returns how many. */
  async purge(batch = 1000): Promise<number> {
    let total = 0
    for (;;) {
      const deleted = await this.counters.purge(iso(this.clock.now()), batch)
      total += deleted
      if (deleted < batch) return total
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private consecutive(now: number, blocks: Reservation['blocks']): Reservation {
    return {
      windowStart: consecutive,
      now: iso(now),
      blocks,
      expiresAt: iso(now + Math.max(forgetMs, this.policy.maxDelaySeconds * 1000)),
    }
  }

  /** From the `from`-th failure on: 1 minute, doubling per further failure, up to the maximum. */
  private delays(now: number, from: number): NonNullable<Reservation['blocks']> {
    const max = this.policy.maxDelaySeconds * 1000
    const steps: NonNullable<Reservation['blocks']> = []
    for (let extra = 0; ; extra++) {
      const delay = Math.min(60_000 * 2 ** extra, max)
      steps.push({ fromCount: from + extra, until: iso(now + delay) })
      if (delay >= max) return steps
    }
  }

  /** The 429 for a refused reservation of `key`, with the time its block has left. */
  private async blocked(key: string, now: number): Promise<ApiError> {
    this.onRefused()
    const until = Date.parse((await this.counters.get(key))?.blockedUntil ?? '') || now
    return tooMany(until - now)
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
}

/** The one attempt of an unthrottled login: nothing was reserved, so nothing is settled. */
const uncounted: LoginAttempt = {
  failed: async () => [],
  succeeded: async () => null,
  release: async () => {},
}

/**
 * The throttle where limits are off (PORTCULLIS_RATE_LIMITS=false, refused in production): every
 * password check goes ahead, none is counted, no device token is issued. Purging still clears
 * counters left from when limits were on. Injected once by the composition root.
 */
export class NoLoginThrottle extends LoginThrottle {
  override async reserve(): Promise<LoginAttempt> {
    return uncounted
  }

  override deviceToken(): string | null {
    return null
  }
}
