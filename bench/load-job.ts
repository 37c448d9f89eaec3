/** One request shape of a load; the client cycles through the variants, one per request. */
export interface RequestVariant {
  headers?: Record<string, string>
  /** `{n}` in the body is replaced by a number unique within the run (for registrations). */
  body?: string
}

/** A load to run with autocannon in a load-client child process. Plain data: it crosses IPC. */
export interface LoadJob {
  url: string
  method: 'GET' | 'POST'
  connections: number
  durationSeconds: number
  /** Requests to make in all, instead of running for `durationSeconds`: a bounded load. */
  amount?: number
  variants: RequestVariant[]
  /**
   * Refresh-grant mode: each request spends one of these refresh tokens and the one it gets
   * back joins the pool, so every request presents a live, unspent token.
   */
  refreshTokens?: string[]
}

/** What a load measured. Latencies are of 2xx responses only, in milliseconds. */
export interface LoadSummary {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  total: number
  ok2xx: number
  non2xx: number
  errors: number
  timeouts: number
  durationSeconds: number
  statusCodes: Record<string, number>
}

/** IPC message from the parent. */
export interface JobMessage {
  id: number
  job: LoadJob
}

/** IPC message back to the parent: ready once at start, then one answer per job. */
export type ResultMessage =
  | { ready: true }
  | { id: number; summary: LoadSummary }
  | { id: number; error: string }
