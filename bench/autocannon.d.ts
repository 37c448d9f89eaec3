// autocannon ships no types; this declares only the parts the benchmark uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
    setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void
  }

  export interface Options {
    url: string
    connections?: number
    duration?: number
    /** Requests to make in all; when set, `duration` is ignored. */
    amount?: number
    timeout?: number
    requests?: Request[]
  }

  export interface Histogram {
    average: number
    p50: number
    p99: number
    total: number
  }

  export interface Result {
    requests: Histogram
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    statusCodeStats: Record<string, { count: number }>
  }

  export type Callback = (error: Error | null, result: Result) => void

  function autocannon(options: Options, callback: Callback): EventEmitter
  export default autocannon
}
