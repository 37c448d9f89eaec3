import type { SessionService } from './sessions.js'

/**
 * Purges dead sessions (revoked, or past their idle or absolute expiry) every `intervalMs`, in
 * small batches so requests are never held up. The timer does not keep the process alive.
 */
export function startPurging(
  sessions: SessionService,
  intervalMs: number,
  onError: (error: unknown) => void,
) {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    sessions
      .purge()
      .catch(onError)
      .finally(() => {
        running = false
      })
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
