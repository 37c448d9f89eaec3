import { temporarilyUnavailable } from '../errors.js'

/**
 * Bounds how many expensive jobs (password hashes) run at once, with a bounded wait queue.
 * When the queue is full, `run` rejects at once with 503 temporarily_unavailable and
 * Retry-After instead of letting work pile up.
 */
export class WorkLimiter {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  /** Jobs running now and jobs waiting. */
  get load() {
    return { running: this.running, waiting: this.waiting.length }
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw temporarilyUnavailable('the server is busy hashing passwords; retry shortly')
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.running++
    }
    try {
      return await job()
    } finally {
      const next = this.waiting.shift()
      // Hand the slot straight to the next job, so `running` never dips and lets a newcomer jump the queue.
      if (next) next()
      else this.running--
    }
  }
}
