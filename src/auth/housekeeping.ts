import type { AuditService } from './audit.js'
import type { Keyring } from './keys.js'
import type { LoginThrottle } from './login-throttle.js'
import type { MachineTokens } from './machine-tokens.js'
import type { PasswordHasher } from './password-hasher.js'
import type { SessionService } from './sessions.js'

/** Runs `task` every `intervalMs`, never twice at once; the timer does not keep the process alive. */
function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
) {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch(onError)
      .finally(() => {
        running = false
      })
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}

/**
 * Every `intervalMs`: purges dead sessions (revoked, or past their idle or absolute expiry), the
 * denylist entries of revoked machine tokens that have expired since, audit records past their
 * retention, and throttle counters whose window and block have passed, in small batches so
 * requests are never held up.
 */
export function startPurging(
  targets: {
    sessions: SessionService
    machineTokens: MachineTokens
    audit: AuditService
    auditRetentionDays: number
    throttle: LoginThrottle
  },
  intervalMs: number,
  onError: (error: unknown) => void,
) {
  return every(
    intervalMs,
    () =>
      Promise.all([
        targets.sessions.purge(),
        targets.machineTokens.purge(),
        targets.audit.purge(targets.auditRetentionDays),
        targets.throttle.purge(),
      ]),
    onError,
  )
}

/**
 * Re-reads the signing keys every `intervalMs`, so keys added by another instance or by
 * `portcullis keys rotate` are published (and later sign) without a restart, and automatic
 * rotation happens when due.
 */
export function startKeyReload(
  keyring: Keyring,
  intervalMs: number,
  onError: (error: unknown) => void,
  legacy?: { cost: () => Promise<number | null>; hasher: PasswordHasher },
) {
  // Also re-reads the highest legacy bcrypt cost (an index scan), so bcrypt hashes imported
  // while the server runs get equal-time failure padding within one interval.
  const learn = () => legacy?.cost().then((cost) => legacy.hasher.learnLegacyCost(cost))
  return every(intervalMs, () => Promise.all([keyring.load(), learn()]), onError)
}
