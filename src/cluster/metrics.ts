import { AggregatorRegistry } from 'prom-client'
import { type MetricsListener, startMetricsListener } from '../metrics/listener.js'

/**
 * The primary's metrics listener: each scrape asks every worker for its default registry over
 * the cluster's IPC channel (prom-client's AggregatorRegistry) and answers their aggregate:
 * counters summed, gauges per their aggregator (the process metrics are summed too). A worker
 * that does not answer within prom-client's 5 s fails the scrape (a bare 500), rather than
 * answering a partial sum that would look like a drop.
 */
export function startClusterMetrics(address: {
  host: string
  port: number
}): Promise<MetricsListener> {
  const registry = new AggregatorRegistry()
  return startMetricsListener(address, async () => ({
    contentType: registry.contentType,
    body: await registry.clusterMetrics(),
  }))
}

/**
 * In a worker: answers the primary's requests for the default registry (prom-client installs
 * that responder when an AggregatorRegistry is made in a worker, not when it is loaded). The
 * registry is filled by the server the worker runs (processRegistry, with the default process
 * metrics).
 */
export function answerMetricsRequests(): void {
  new AggregatorRegistry()
}
