import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { Histogram, type Registry } from 'prom-client'

/** The label value of requests that matched no route (never their raw path). */
export const unmatchedRoute = 'unmatched'

const statusClasses = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** Seconds: from a cached `/users/me` (well under a millisecond) to a slow password login. */
const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

type Observe = (seconds: number) => void

/**
 * `portcullis_http_request_duration_seconds{route, method, status_class}` and the Fastify
 * `onResponse` hook that fills it. Labels are bounded: the route TEMPLATE (`/users/:id`, never
 * the path asked for), `unmatched` for a 404 without a route, the method (Node's parser admits
 * only its known methods) and the status class. The hook resolves each label set's observer once
 * and keeps it in nested maps keyed by strings the request already holds, so a request costs
 * two map lookups and the observation.
 */
export function httpRequestMetrics(registry: Registry) {
  const histogram = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by route template, method and status class.',
    labelNames: ['route', 'method', 'status_class'] as const,
    buckets,
    registers: [registry],
  })
  const byRoute = new Map<string, Map<string, Observe[]>>()
  const observer = (route: string, method: string, status: number): Observe => {
    let byMethod = byRoute.get(route)
    if (byMethod === undefined) {
      byMethod = new Map()
      byRoute.set(route, byMethod)
    }
    let byClass = byMethod.get(method)
    if (byClass === undefined) {
      byClass = []
      byMethod.set(method, byClass)
    }
    const index = Math.min(5, Math.max(1, Math.floor(status / 100)))
    let observe = byClass[index]
    if (observe === undefined) {
      const child = histogram.labels(route, method, statusClasses[index] ?? '5xx')
      observe = (seconds) => child.observe(seconds)
      byClass[index] = observe
    }
    return observe
  }
  const onResponse = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void => {
    observer(
      request.routeOptions.url ?? unmatchedRoute,
      request.method,
      reply.statusCode,
    )(reply.elapsedTime / 1000)
    done()
  }
  return { histogram, onResponse }
}
