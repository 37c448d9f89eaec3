import { Gauge, type Registry } from 'prom-client'
import type { Keyring } from '../auth/keys.js'
import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'

/** What the scrape-time gauges read. */
export interface ScrapeSources {
  store: Store
  keyring: Keyring
  clock: Clock
}

/**
 * Gauges read at each scrape, costing nothing between scrapes: the PostgreSQL pool's clients
 * (open, idle, waiting; 0 on SQLite, which has no pool), the mail outbox's backlog (one count
 * over the outbox table, which purging keeps bounded; a failed count keeps the last value, so a
 * database outage does not fail the scrape), the active signing key's age and the JWKS's size.
 * Each declares how node:cluster's aggregation combines the workers' values: a pool or a queue
 * is per worker (sum); the outbox and the keys are shared, every worker sees the same (max).
 */
export function registerScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  const { store, keyring, clock } = sources
  new Gauge({
    name: 'portcullis_store_pool_connections',
    help: 'PostgreSQL pool clients by state: total (open), idle, waiting (callers queued for a client). 0 on SQLite.',
    labelNames: ['state'] as const,
    registers: [registry],
    aggregator: 'sum',
    collect() {
      const use = store.poolUse?.() ?? { total: 0, idle: 0, waiting: 0 }
      this.labels('total').set(use.total)
      this.labels('idle').set(use.idle)
      this.labels('waiting').set(use.waiting)
    },
  })
  new Gauge({
    name: 'portcullis_outbox_backlog',
    help: 'Mail messages waiting to be sent (not sent, not given up), retries included.',
    registers: [registry],
    aggregator: 'max',
    async collect() {
      try {
        this.set((await store.outbox.status(0)).pending)
      } catch {
        // The last value stays; the store's own failures show in the request metrics.
      }
    },
  })
  new Gauge({
    name: 'portcullis_signing_key_age_seconds',
    help: 'Seconds since the signing key that signs new tokens now was created.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      try {
        const created = Date.parse(keyring.signingKey().createdAt)
        if (Number.isFinite(created)) this.set(Math.max(0, (clock.now() - created) / 1000))
      } catch {
        // Not loaded yet: nothing to report.
      }
    },
  })
  new Gauge({
    name: 'portcullis_jwks_keys',
    help: 'Keys published in the JWKS now (next, active and retired keys that still verify).',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set(keyring.publicJwks().keys.length)
    },
  })
}
