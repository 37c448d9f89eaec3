import { randomBytes } from 'node:crypto'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'
import { FailureFloor } from './failure-floor.js'
import {
  ARGON2ID,
  type Argon2Params,
  importedArgon2Limits,
  legacyBcryptCost,
  maxLegacyBcryptCost,
  parseArgon2,
  sameArgon2Params,
  weakerThan,
} from './password-hash-formats.js'
import type { WorkLimiter } from './work-limiter.js'

export type { Argon2Params } from './password-hash-formats.js'
export { importedArgon2Limits, maxLegacyBcryptCost } from './password-hash-formats.js'

/** The outcome of checking a password against a stored hash. */
export interface VerifyResult {
  ok: boolean
  /** The stored hash is bcrypt, or argon2 weaker than the configured parameters. */
  needsRehash: boolean
}

/** What a failed login may have to wait for besides the password check itself. */
export interface LoginCheckOptions {
  /** The password as typed, when normalization changed it: passlib hashed the raw text. */
  raw?: string | undefined
  /** The login fails even with the right password (a disabled user): pay the full failure cost. */
  refuse?: boolean | undefined
}

/**
 * Hashes and verifies passwords with argon2id (PHC strings) on libuv's thread pool, never on
 * the event loop. Every hash and verify goes through the WorkLimiter, so a flood of logins gets
 * 503 instead of an unbounded queue. Legacy bcrypt hashes (passlib's `$2a$`/`$2b$`/`$2y$`)
 * verify but report `needsRehash`.
 */
export class PasswordHasher {
  /** What an unknown user is verified against: the costliest argon2 parameters seen. */
  private dummy: { hash: string; params: Argon2Params }
  /** A bcrypt hash at the highest cost of the legacy hashes seen, while any exist. */
  private legacyDummy: { cost: number; hash: string } | null = null
  /** One padding computation at a time, shared by every caller that asks for it. */
  private raising: Promise<void> = Promise.resolve()
  private readonly floor = new FailureFloor()
  /** The warm-up (see init): null until started, and again after it failed. */
  private warming: Promise<void> | null = null
  /** The highest legacy bcrypt cost in the store when init ran. */
  private legacyCostAtStart: number | null = null

  constructor(
    private readonly params: Argon2Params,
    private readonly limiter: WorkLimiter,
  ) {
    this.dummy = { hash: '', params }
  }

  /**
   * Starts the warm-up in the background and returns at once, so that it does not delay the
   * start: the dummy hash that unknown users are verified against (equal timing), the bcrypt
   * dummy when the store holds legacy hashes (`legacyCost`, their highest bcrypt cost), and a
   * few samples of the full failure work, so that the first failure already has a floor. Every
   * `checkLogin` waits for the warm-up ({@link warmedUp}) before its own work, so no login is
   * checked without them, and all wait alike whatever account they name.
   */
  init(legacyCost: number | null = null): Promise<void> {
    this.legacyCostAtStart = legacyCost
    // A failure is not lost: the next checkLogin starts the warm-up again and reports it.
    this.warmedUp().catch(() => {})
    return Promise.resolve()
  }

  /**
   * Resolves once the warm-up is done, starting it if init has not (or if it failed: its
   * error, such as a 503 from a saturated limiter, is then this caller's).
   */
  warmedUp(): Promise<void> {
    this.warming ??= this.warmUp().catch((error: unknown) => {
      this.warming = null
      throw error
    })
    return this.warming
  }

  private async warmUp(): Promise<void> {
    this.dummy = {
      hash: await this.hash(randomBytes(32).toString('base64url')),
      params: this.params,
    }
    await this.learnLegacyCost(this.legacyCostAtStart)
    await this.sampleFullPath()
  }

  /**
   * Checks a login's password against `stored` (null: no such user) so that every failure
   * takes the same time (ASVS 6.3.8): each does the full failure work, one argon2id
   * verification at the costliest parameters seen and, while legacy bcrypt hashes exist, two
   * bcrypt verifications at their highest cost (the second covers passlib's un-normalized
   * password, `options.raw`), whichever kind of hash it meets; a failure whose own work was
   * cheaper (an argon2 hash of other parameters, a cheaper bcrypt hash) then waits until it has
   * taken as long as the full work recently took. A success returns early; `options.refuse`
   * makes even a success pay the full failure time (its result is still reported).
   */
  async checkLogin(
    stored: string | null,
    password: string,
    options: LoginCheckOptions = {},
  ): Promise<VerifyResult> {
    // Before the clock starts: the wait must not inflate the floor that failures record.
    await this.warmedUp()
    return this.check(stored, password, options)
  }

  /** checkLogin's work, once warmed up (the warm-up's own samples run it directly). */
  private async check(
    stored: string | null,
    password: string,
    options: LoginCheckOptions,
  ): Promise<VerifyResult> {
    const started = performance.now()
    const dummy = this.dummy
    const legacy = this.legacyDummy
    const storedCost = stored !== null ? legacyBcryptCost(stored) : null
    const isLegacy = storedCost !== null
    // Not awaited: raising the padding is background work, never this answer's.
    if (storedCost !== null) void this.learnLegacyCost(storedCost)
    const argon2Options = stored !== null && !isLegacy ? parseArgon2(stored) : null
    if (argon2Options) void this.learnArgon2(argon2Options)
    const done = (r: VerifyResult) => r.ok && !options.refuse
    let result: VerifyResult = { ok: false, needsRehash: false }
    let fullWork: boolean
    if (isLegacy && stored !== null) {
      result = await this.verify(stored, password)
      if (done(result)) return result
      const raw = options.raw
      if (!result.ok && raw !== undefined && raw !== password) {
        // passlib hashed the raw password; NFKC may have changed it.
        result = await this.verify(stored, raw)
        if (done(result)) return result
      } else {
        await this.verify(legacy?.hash ?? stored, password)
      }
      await this.verify(dummy.hash, password)
      fullWork = legacy !== null && storedCost === legacy.cost
    } else {
      if (stored !== null && argon2Options) result = await this.verify(stored, password)
      else await this.verify(dummy.hash, password)
      if (done(result)) return result
      if (legacy) {
        await this.verify(legacy.hash, password)
        await this.verify(legacy.hash, password)
      }
      fullWork = argon2Options === null || sameArgon2Params(argon2Options, dummy.params)
    }
    const elapsed = performance.now() - started
    if (fullWork) this.floor.record(elapsed)
    await this.floor.pad(elapsed)
    return result
  }

  /**
   * Raises the bcrypt padding to `cost` if higher (legacy hashes imported while running, e.g.
   * by `portcullis users import`); null changes nothing. Never lowers it.
   */
  learnLegacyCost(cost: number | null): Promise<void> {
    if (cost === null) return this.raising
    this.raising = this.raising.then(() => this.raiseLegacyCost(cost)).catch(() => {})
    return this.raising
  }

  private async raiseLegacyCost(cost: number): Promise<void> {
    const capped = Math.min(cost, maxLegacyBcryptCost)
    if (!Number.isInteger(capped) || capped < 4 || (this.legacyDummy?.cost ?? 0) >= capped) return
    const hash = await bcrypt.hash(randomBytes(16).toString('base64url'), capped)
    this.legacyDummy = { cost: capped, hash }
    // The full work only grows: the recorded floor stays valid, and samples raise it.
    void this.sampleFullPath()
  }

  /** Raises the dummy argon2 parameters to cover a stored hash costlier than them. */
  private learnArgon2(o: argon2.ParsedHashOptions): Promise<void> {
    const { max } = importedArgon2Limits
    const current = this.dummy.params
    const next = {
      memoryKib: Math.min(Math.max(current.memoryKib, o.memoryCost), max.memoryKib),
      iterations: Math.min(Math.max(current.iterations, o.timeCost), max.iterations),
      parallelism: Math.min(Math.max(current.parallelism, o.parallelism), max.parallelism),
    }
    if (
      next.memoryKib === current.memoryKib &&
      next.iterations === current.iterations &&
      next.parallelism === current.parallelism
    )
      return this.raising
    this.raising = this.raising
      .then(async () => {
        const now = this.dummy.params
        if (
          now.memoryKib >= next.memoryKib &&
          now.iterations >= next.iterations &&
          now.parallelism >= next.parallelism
        )
          return
        const hash = await this.hashWith(randomBytes(32).toString('base64url'), next)
        this.dummy = { hash, params: next }
        void this.sampleFullPath()
      })
      .catch(() => {})
    return this.raising
  }

  private async sampleFullPath(): Promise<void> {
    for (let i = 0; i < 3; i++) await this.check(null, randomBytes(12).toString('base64url'), {})
  }

  hash(password: string): Promise<string> {
    return this.hashWith(password, this.params)
  }

  private hashWith(password: string, params: Argon2Params): Promise<string> {
    return this.limiter.run(() =>
      argon2.hash(password, {
        algorithm: ARGON2ID,
        memoryCost: params.memoryKib,
        timeCost: params.iterations,
        parallelism: params.parallelism,
      }),
    )
  }

  /** Verifies `password` against `stored`; a malformed stored hash verifies false. */
  async verify(stored: string, password: string): Promise<VerifyResult> {
    if (legacyBcryptCost(stored) !== null) {
      const ok = await this.limiter.run(() => bcrypt.verify(password, stored).catch(() => false))
      return { ok, needsRehash: true }
    }
    const options = parseArgon2(stored)
    if (!options) return { ok: false, needsRehash: false }
    const ok = await this.limiter.run(() => argon2.verify(stored, password).catch(() => false))
    return { ok, needsRehash: weakerThan(options, this.params) }
  }
}
