/** What to do about a worker that exited while the server was not shutting down. */
export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'give-up' }

export interface RestartPolicyOptions {
  /** Crashes within `windowMs` that make the primary give up (the last one is not replaced). */
  maxCrashes: number
  windowMs: number
  /** The delay before the first replacement in the window; each further one doubles it. */
  firstDelayMs: number
  maxDelayMs: number
}

/**
 * The default: a crash is replaced after 250 ms, the next ones within a minute after 0.5, 1 and
 * 2 s; the fifth crash within a minute gives up (the primary drains the other workers and exits
 * 1, leaving the restart to the service manager, which has its own backoff). A worker that
 * crashes at start therefore costs four forks, never a fork loop.
 */
export const defaultRestartPolicy: RestartPolicyOptions = {
  maxCrashes: 5,
  windowMs: 60_000,
  firstDelayMs: 250,
  maxDelayMs: 5_000,
}

/**
 * Counts the crashes of the last `windowMs` and decides, for each new one, between a delayed
 * replacement (exponential backoff) and giving up. Time comes from the caller, so the policy is
 * tested without waiting.
 */
export class RestartPolicy {
  private crashes: number[] = []

  constructor(private readonly options: RestartPolicyOptions = defaultRestartPolicy) {}

  /** Records a crash at `now` (milliseconds) and decides what follows. */
  crashed(now: number): RestartDecision {
    const { maxCrashes, windowMs, firstDelayMs, maxDelayMs } = this.options
    this.crashes = this.crashes.filter((at) => now - at < windowMs)
    this.crashes.push(now)
    if (this.crashes.length >= maxCrashes) return { action: 'give-up' }
    const delayMs = Math.min(firstDelayMs * 2 ** (this.crashes.length - 1), maxDelayMs)
    return { action: 'restart', delayMs }
  }
}
