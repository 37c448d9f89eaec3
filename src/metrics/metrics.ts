import type { Registry } from 'prom-client'
import type { WorkLimiter } from '../auth/work-limiter.js'
import { httpRequestMetrics } from './http-requests.js'
import { loadSheddingMetrics } from './load-shedding.js'
import { passwordHashingMetrics } from './password-hashing.js'
import { registerScrapeGauges, type ScrapeSources } from './scrape-gauges.js'
import { signInMetrics } from './sign-ins.js'
import { storeMetrics } from './store-timing.js'
import { tokenMetrics } from './tokens.js'

/** Every `portcullis_*` metric, on one registry, and the hooks the services report through. */
export type Metrics = ReturnType<typeof createMetrics>

/**
 * Creates the `portcullis_*` metrics on `registry` (each name once: a registry holds one set).
 * The composition root passes the hooks to the services; `watch` then names what the
 * scrape-time gauges read, once the services exist.
 */
export function createMetrics(registry: Registry) {
  const http = httpRequestMetrics(registry)
  const hashing = passwordHashingMetrics(registry)
  return {
    registry,
    /** The Fastify `onResponse` hook of the request duration histogram. */
    onResponse: http.onResponse,
    /** Counts a request refused by load shedding. */
    shed: loadSheddingMetrics(registry),
    signIns: signInMetrics(registry),
    tokens: tokenMetrics(registry),
    /** The password-hash limiter's observer. */
    hashing: hashing.observer,
    /** The store with its methods timed. */
    timed: storeMetrics(registry).timed,
    watch(sources: ScrapeSources & { limiter: WorkLimiter }): void {
      hashing.watch(sources.limiter)
      registerScrapeGauges(registry, sources)
    },
  }
}
