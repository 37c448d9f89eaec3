import { collectDefaultMetrics, Registry, register } from 'prom-client'
import type { Exposition } from './listener.js'

/**
 * The registry of the process that serves: prom-client's global default registry, emptied first
 * and given the default process metrics (`process_*`, `nodejs_*`, event-loop lag included),
 * under their standard names, without the `portcullis_` prefix, so the usual Node.js dashboards
 * read them. It must be the global one: under node:cluster the primary's AggregatorRegistry asks
 * each worker for its default registry. Emptying it lets a second server in one process (an
 * embedding test) take the registry over instead of failing on duplicate names; one process
 * serves one server.
 */
export function processRegistry(): Registry {
  register.clear()
  collectDefaultMetrics({ register })
  return register
}

/**
 * A registry of its own, without process metrics: what services get when nobody passes one (the
 * CLI, and tests, which build many apps in one process and must not see each other's counts).
 */
export function privateRegistry(): Registry {
  return new Registry()
}

/** One scrape of `registry` in the Prometheus text format, for the metrics listener. */
export async function exposition(registry: Registry): Promise<Exposition> {
  return { contentType: registry.contentType, body: await registry.metrics() }
}
