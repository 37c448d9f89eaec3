import { performance } from 'node:perf_hooks'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { type ApiError, temporarilyUnavailable } from '../errors.js'

/** Routes that answer however late the loop runs: liveness must not look like a dead process. */
const exempt = new Set(['/healthz'])

/** The load-shedding state: what to answer a request now, and the timer to stop on close. */
export interface LoadShedding {
  /** The 503 for `request` while the loop lags (reported to `onShed`), else undefined. */
  refusal(request: FastifyRequest): ApiError | undefined
  stop(): void
}

/**
 * Sheds load when the event loop lags: a timer measures how late it fires, and while the last
 * measurement exceeds `maxDelayMs`, new requests get 503 `temporarily_unavailable` with
 * `Retry-After` before any work is done for them (each reported to `onShed`); `/healthz` still
 * answers. The state clears at the first punctual tick (within about 100 ms once the loop is
 * free). `0` disables it (undefined).
 *
 * (@fastify/under-pressure was measured and not used: it compares the *mean* delay of 10 ms
 * samples over a second, so a 1.5 s stall read as 76 ms and never tripped a 1 s threshold.)
 */
export function loadShedding(
  maxDelayMs: number,
  onShed: () => void = () => {},
): LoadShedding | undefined {
  if (maxDelayMs <= 0) return undefined
  const interval = Math.min(100, Math.max(10, Math.floor(maxDelayMs / 2)))
  const retryAfter = Math.max(1, Math.ceil(maxDelayMs / 1000))
  let expected = performance.now() + interval
  let lagging = false
  const timer = setInterval(() => {
    const now = performance.now()
    lagging = now - expected > maxDelayMs
    expected = now + interval
  }, interval)
  timer.unref()
  return {
    refusal(request) {
      if (!lagging || exempt.has(request.routeOptions.url ?? '')) return undefined
      onShed()
      return temporarilyUnavailable('the server is overloaded; retry shortly', retryAfter)
    },
    stop: () => clearInterval(timer),
  }
}

/** The onRequest hook of `shedding` alone (a callback hook: it runs on every request). */
export function sheddingHook(shedding: LoadShedding) {
  return function shed(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    done(shedding.refusal(request))
  }
}
