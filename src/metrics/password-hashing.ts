import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { WorkLimiter, WorkLimiterObserver } from '../auth/work-limiter.js'

/** Seconds a hash waits for a slot: none, up to the several seconds a saturated queue means. */
const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The password-hash limiter's metrics: the queue depth, the running jobs and the queue's bound
 * (gauges read at each scrape), each job's wait for a slot (histogram), and the jobs refused
 * with 503 because the queue was full (counter). `observer` goes to the WorkLimiter; `watch`
 * names the limiter the gauges read (it is built with the observer, so after it).
 */
export function passwordHashingMetrics(registry: Registry) {
  let limiter: WorkLimiter | undefined
  // Across cluster workers `max`, not the sum: each worker has its own queue and bound, so the
  // alert compares the fullest worker's queue with one worker's bound.
  const gauge = (
    name: string,
    help: string,
    read: (l: WorkLimiter) => number,
    aggregator: 'sum' | 'max' = 'max',
  ) =>
    new Gauge({
      name,
      help,
      aggregator,
      registers: [registry],
      collect() {
        if (limiter) this.set(read(limiter))
      },
    })
  gauge(
    'portcullis_password_hash_queue_depth',
    'Password hashes waiting for a slot now.',
    (l) => l.load.waiting,
  )
  gauge(
    'portcullis_password_hash_running',
    'Password hashes running now.',
    (l) => l.load.running,
    'sum',
  )
  gauge(
    'portcullis_password_hash_queue_limit',
    'How many password hashes may wait before new ones are refused with 503 (PORTCULLIS_HASH_QUEUE_LIMIT).',
    (l) => l.queueLimit,
  )
  const wait = new Histogram({
    name: 'portcullis_password_hash_wait_seconds',
    help: 'Time each password hash (or verification) waited for a slot before it ran.',
    buckets,
    registers: [registry],
  })
  const refused = new Counter({
    name: 'portcullis_password_hash_rejected_total',
    help: 'Password hashes refused with 503 because the wait queue was full.',
    registers: [registry],
  })
  const observer: WorkLimiterObserver = {
    waited: (ms) => wait.observe(ms / 1000),
    refused: () => refused.inc(),
  }
  return {
    observer,
    watch(watched: WorkLimiter) {
      limiter = watched
    },
  }
}
