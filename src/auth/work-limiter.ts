import { performance } from 'node:perf_hooks'
import { temporarilyUnavailable } from '../errors.js'

/** What the limiter reports as it works (the metrics): each job's wait, and each refusal. */
export interface WorkLimiterObserver {
  /** A job started after waiting `ms` in the queue (0: a slot was free). */
  waited(ms: number): void
  /** A job was refused with 503 because the queue was full. */
  refused(): void
}

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
    private readonly observer?: WorkLimiterObserver,
  ) {}

  /** Jobs running now and jobs waiting. */
  get load() {
    return { running: this.running, waiting: this.waiting.length }
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        this.observer?.refused()
        throw temporarilyUnavailable('the server is busy hashing passwords; retry shortly')
      }
      const queued = performance.now()
      await new Promise<void>((resolve) => this.waiting.push(resolve))
      this.observer?.waited(performance.now() - queued)
    } else {
      this.running++
      this.observer?.waited(0)
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
