import { randomBytes } from 'node:crypto'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'
import { FailureFloor } from './failure-floor.js'
import type { WorkLimiter } from './work-limiter.js'

export interface Argon2Params {
  memoryKib: number
  iterations: number
  parallelism: number
}

export interface VerifyResult {
  ok: boolean
  /** The stored hash is bcrypt, or argon2 weaker than the configured parameters. */
  needsRehash: boolean
}

// @node-rs/argon2 declares Algorithm as an ambient const enum, which isolated transpilers cannot inline.
const ARGON2ID = 2
const legacyBcrypt = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

/**
 * The highest legacy bcrypt cost accepted (passlib's default is 12; 14 takes about a second).
 * `users import` refuses costlier hashes, and the failure padding never rises above it: one
 * hash of cost 31 would otherwise make every failed login take hours.
 */
export const maxLegacyBcryptCost = 14

/**
 * Hashes and verifies passwords with argon2id (PHC strings) on libuv's thread pool, never on
 * the event loop. Every hash and verify goes through the WorkLimiter, so a flood of logins gets
 * 503 instead of an unbounded queue. Legacy bcrypt hashes (passlib's `$2a$`/`$2b$`/`$2y$`)
 * verify but report `needsRehash`.
 */
export class PasswordHasher {
  private dummyHash = ''
  /** A bcrypt hash at the highest cost of the legacy hashes seen, while any exist. */
  private legacyDummy: { cost: number; hash: string } | null = null
  /** One padding computation at a time, shared by every caller that asks for it. */
  private raising: Promise<void> = Promise.resolve()
  private readonly floor = new FailureFloor()

  constructor(
    private readonly params: Argon2Params,
    private readonly limiter: WorkLimiter,
  ) {}

  /**
   * Computes the dummy hash that unknown users are verified against (equal timing), and the
   * bcrypt dummy when the store holds legacy hashes (`legacyCost`, their highest bcrypt cost).
   */
  async init(legacyCost: number | null = null): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'))
    await this.learnLegacyCost(legacyCost)
  }

  /**
   * Verifies like `verify`, for a user who may not exist (`stored` null). While legacy bcrypt
   * hashes exist, every failure costs one argon2id and one bcrypt verification whichever kind
   * the stored hash was, so an unknown user, an argon2 user and a bcrypt user fail alike in
   * time as well as in status and body.
   */
  async verifyOrDummy(stored: string | null, password: string): Promise<VerifyResult> {
    const started = performance.now()
    const isLegacy = stored !== null && legacyBcrypt.test(stored)
    const storedCost = isLegacy ? Number(stored.slice(4, 6)) : null
    // Not awaited: a bcrypt user's failure pads with the argon2 dummy, so it needs no bcrypt
    // dummy now, and computing one here would make this one answer measurably slower.
    if (storedCost !== null) void this.learnLegacyCost(storedCost)
    let result: VerifyResult
    if (stored === null) {
      await this.verify(this.dummyHash, password)
      result = { ok: false, needsRehash: false }
    } else {
      result = await this.verify(stored, password)
    }
    const legacy = this.legacyDummy
    if (!result.ok && legacy) {
      await this.verify(isLegacy ? this.dummyHash : legacy.hash, password)
      const elapsed = performance.now() - started
      if (storedCost === null || storedCost >= legacy.cost) this.floor.record(elapsed)
      // A cheaper bcrypt hash than the padding's: wait as long as the full path takes.
      else await this.floor.pad(elapsed)
    }
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
    this.floor.reset()
    // Learnt in the background (start-up need not wait), so the first cheaper failure already
    // has a floor.
    void this.sampleFullPath(hash)
  }

  private async sampleFullPath(legacyHash: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      await this.verify(this.dummyHash, 'x')
      await this.verify(legacyHash, 'x')
      this.floor.record(performance.now() - started)
    }
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() =>
      argon2.hash(password, {
        algorithm: ARGON2ID,
        memoryCost: this.params.memoryKib,
        timeCost: this.params.iterations,
        parallelism: this.params.parallelism,
      }),
    )
  }

  /** Verifies `password` against `stored`; a malformed stored hash verifies false. */
  async verify(stored: string, password: string): Promise<VerifyResult> {
    if (legacyBcrypt.test(stored)) {
      const ok = await this.limiter.run(() => bcrypt.verify(password, stored).catch(() => false))
      return { ok, needsRehash: true }
    }
    let options: argon2.ParsedHashOptions
    try {
      options = argon2.parseOptions(stored)
    } catch {
      return { ok: false, needsRehash: false }
    }
    const ok = await this.limiter.run(() => argon2.verify(stored, password).catch(() => false))
    return { ok, needsRehash: this.isWeaker(options) }
  }

  /** Spends the same work as a real verify, for a user that does not exist. Always false. */
  async verifyDummy(password: string): Promise<false> {
    await this.verifyOrDummy(null, password)
    return false
  }

  private isWeaker(o: argon2.ParsedHashOptions): boolean {
    return (
      o.algorithm !== ARGON2ID ||
      o.memoryCost < this.params.memoryKib ||
      o.timeCost < this.params.iterations ||
      o.parallelism < this.params.parallelism
    )
  }
}
