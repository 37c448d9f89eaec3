import { performance } from 'node:perf_hooks'
import { Histogram, type Registry } from 'prom-client'
import type { Store } from '../store/store.js'

/** Seconds: a SQLite read (microseconds) to a PostgreSQL query near its timeout. */
const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]

type Fn = (...args: unknown[]) => unknown

/**
 * `portcullis_store_query_duration_seconds{method}` and `timed(store)`: the store with every
 * method of its parts (`users.findById`, `sessions.rotate`…) timed, once, at composition. The
 * label is the method's name in the Store contract, a fixed set, never a query's arguments.
 * Each wrapper resolves its label child when it is made; a call then costs two clock reads, one
 * closure and the observation. Failed calls are timed too. Wrap the raw store (inside the status
 * cache): a cache hit is no query.
 */
export function storeMetrics(registry: Registry) {
  const histogram = new Histogram({
    name: 'portcullis_store_query_duration_seconds',
    help: 'Time each store method took (one or a few SQL statements), by method.',
    labelNames: ['method'] as const,
    buckets,
    registers: [registry],
  })
  const timePart = <P extends object>(partName: string, part: P): P => {
    const wrapped: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(part)) {
      if (typeof value !== 'function') {
        wrapped[name] = value
        continue
      }
      const fn = value as Fn
      const child = histogram.labels(`${partName}.${name}`)
      wrapped[name] = (...args: unknown[]) => {
        const started = performance.now()
        const done = () => child.observe((performance.now() - started) / 1000)
        const result = fn.apply(part, args)
        if (result instanceof Promise) result.then(done, done)
        else done()
        return result
      }
    }
    return wrapped as P
  }
  const timed = (store: Store): Store => {
    const parts: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(store)) {
      // The parts (users, sessions, …) are objects; the store's own members pass as they are,
      // and so does the status feed: it is no query, and copying it would freeze its getters.
      parts[name] =
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        name !== 'statusChanges'
          ? timePart(name, value)
          : value
    }
    return parts as unknown as Store
  }
  return { timed }
}
