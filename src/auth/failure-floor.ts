import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The time a failed login takes on the full padding path (argon2id at the dummy's parameters and,
 * while legacy hashes exist, bcrypt twice at their highest cost), learnt from the last few such
 * failures, so that a cheaper failure (a bcrypt hash of a lower cost, an argon2 hash of other
 * parameters) can wait until it has taken as long. Without it, the response time would tell
 * which accounts exist and what they hold (ASVS 6.3.8). Real time by design:
 * this is about what an attacker can measure, not business time.
 */
export class FailureFloor {
  private readonly recent: number[] = []

  constructor(private readonly size = 16) {}

  /** Records the duration (ms) of a failure that paid the full padding. */
  record(ms: number): void {
    this.recent.push(ms)
    if (this.recent.length > this.size) this.recent.shift()
  }

  /** Forgets what was learnt (the padding changed: the full path now costs something else). */
  reset(): void {
    this.recent.length = 0
  }

  get learnt(): boolean {
    return this.recent.length > 0
  }

  /** Waits until `elapsedMs` reaches the slowest recent full-path failure. */
  async pad(elapsedMs: number): Promise<void> {
    const floor = Math.max(0, ...this.recent)
    if (floor > elapsedMs) await sleep(floor - elapsedMs)
  }
}
