import { RESULT_MARKER } from './wrk-script.js'

/** What one wrk run measured, from the JSON line its done() printed. Latencies in ms. */
export interface WrkResult {
  /** Responses completed. */
  requests: number
  durationSeconds: number
  requestsPerSecond: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /**
   * Responses that were not 2xx: counted exactly where the script reads every answer (the
   * refresh grant), else wrk's own count of statuses above 399.
   */
  non2xx: number
  /** Socket errors: connect, read and write. */
  errors: number
  timeouts: number
  /** Requests sent without a live refresh token (the pool ran dry). */
  starved: number
  /** Unspent refresh tokens left in the pool at the end. */
  pool: string[]
}

interface Printed {
  requests: number
  durationUs: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  latencyUs: { p50: number; p90: number; p99: number; max: number }
  non2xx: number
  starved: number
  pool: string[]
}

/** Parses wrk's standard output; throws when the result line is missing or malformed. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
  if (!line) throw new Error(`wrk printed no result line:\n${stdout.slice(-2000)}`)
  const p = JSON.parse(line.slice(RESULT_MARKER.length)) as Printed
  if (!(typeof p.requests === 'number' && p.durationUs > 0 && p.latencyUs && p.errors)) {
    throw new Error(`wrk's result line is incomplete: ${line}`)
  }
  const durationSeconds = p.durationUs / 1e6
  const ms = (us: number) => us / 1000
  return {
    requests: p.requests,
    durationSeconds,
    requestsPerSecond: p.requests / durationSeconds,
    p50Ms: ms(p.latencyUs.p50),
    p90Ms: ms(p.latencyUs.p90),
    p99Ms: ms(p.latencyUs.p99),
    maxMs: ms(p.latencyUs.max),
    non2xx: p.non2xx >= 0 ? p.non2xx : p.errors.status,
    errors: p.errors.connect + p.errors.read + p.errors.write,
    timeouts: p.errors.timeout,
    starved: p.starved,
    pool: p.pool,
  }
}
