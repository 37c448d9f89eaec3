import { availableParallelism } from 'node:os'
import { ConfigError, type Env, int, intVariable, type Row, row, textVariable } from './define.js'
import type { ListenConfig } from './server.js'

/** How many worker processes serve the port (node:cluster); 1 runs no cluster at all. */
export interface WorkersConfig {
  count: number
}

/**
 * Where the Prometheus `/metrics` listener listens, or null (the default) for none. It is a
 * listener of its own, never a route of the API, so publishing the API port never publishes
 * the metrics by accident.
 */
export type MetricsConfig = { host: string; port: number } | null

const workers = textVariable('PORTCULLIS_WORKERS', '1')
const maxWorkers = 64
const metricsHost = textVariable('PORTCULLIS_METRICS_HOST', '127.0.0.1')
const metricsPort = intVariable(
  'PORTCULLIS_METRICS_PORT',
  0,
  1,
  65535,
  'none (no metrics listener)',
)

export const operationsRows: Row[] = [
  row(
    workers,
    'Worker processes sharing the port (node:cluster): a number from 1 to 64, or `auto` for the CPU count. Workers share the database; a crashed worker is replaced; SIGTERM drains them all. See [Running on all cores](#running-on-all-cores)',
  ),
  row(
    [metricsHost, metricsPort],
    'Serve Prometheus metrics at `GET /metrics` on this separate address (off until the port is set; loopback unless the host says otherwise). See [Monitoring](#monitoring)',
  ),
]

/** PORTCULLIS_WORKERS: a count from 1 to 64, or `auto` (the CPUs this process may use). */
export function readWorkers(env: Env): WorkersConfig {
  const raw = (env[workers.name] ?? '').trim()
  if (raw === '') return { count: 1 }
  if (raw === 'auto') return { count: Math.min(availableParallelism(), maxWorkers) }
  const count = Number(raw)
  if (!/^\d+$/.test(raw) || count < 1 || count > maxWorkers) {
    throw new ConfigError(
      `${workers.name} must be auto or an integer from 1 to ${maxWorkers} (got "${raw}")`,
    )
  }
  return { count }
}

/**
 * The metrics listener, off unless PORTCULLIS_METRICS_PORT is set. Refuses the API's own
 * address: the point of a separate listener is that it can be firewalled apart.
 */
export function readMetrics(env: Env, listen: ListenConfig): MetricsConfig {
  const host = (env[metricsHost.name] ?? '').trim() || metricsHost.fallback
  const port = int(env, metricsPort)
  if (port === 0) return null
  if (port === listen.port) {
    throw new ConfigError(
      `${metricsPort.name} must differ from PORTCULLIS_PORT (${listen.port}): metrics are served on a listener of their own`,
    )
  }
  return { host, port }
}
