import { Counter, type Registry } from 'prom-client'
import type { AuditEventType } from '../auth/audit.js'

/** The outcomes `portcullis_logins_total` counts. */
export const loginOutcomes = ['success', 'failure', 'throttled', 'mfa_required'] as const
export type LoginOutcome = (typeof loginOutcomes)[number]

/**
 * The audit events that decide a sign-in, and the outcome each counts as. Every completed
 * sign-in is audited `login.success` exactly once (password grant, MFA grant, the hosted login
 * page with a password, a code or a passkey); every refused step of one is audited once: the
 * password (`login.failure`), a second-factor code (`mfa.failure`), a passkey
 * (`passkey.failure`). A right password that needs a second factor is `mfa.required`. Attempts
 * the login throttle refuses are not audited (an attack must not write a row per guess): the
 * throttle reports them itself.
 */
const outcomeOf: Partial<Record<AuditEventType, LoginOutcome>> = {
  'login.success': 'success',
  'login.failure': 'failure',
  'mfa.failure': 'failure',
  'passkey.failure': 'failure',
  'mfa.required': 'mfa_required',
}

/**
 * `portcullis_logins_total{outcome}`, counted from the audit log's records (an observer of the
 * audit sink: no sign-in path calls the metrics), plus `throttled` for the login throttle's
 * refusals (password checks and second-factor codes alike). Counters are created for every
 * outcome at once, so each series exists from the start at 0.
 */
export function signInMetrics(registry: Registry) {
  const logins = new Counter({
    name: 'portcullis_logins_total',
    help: 'Sign-in attempts by outcome: success, failure (a refused password, code or passkey), throttled (refused by the login throttle before any check), mfa_required (a right password awaiting its second factor).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const count = Object.fromEntries(
    loginOutcomes.map((outcome) => {
      const child = logins.labels(outcome)
      child.inc(0)
      return [outcome, () => child.inc()]
    }),
  ) as Record<LoginOutcome, () => void>
  return {
    logins,
    /**
     * Counts the sign-in outcome an audit record stands for, if any. A passkey refused while
     * being registered (`ceremony: register`) is no sign-in.
     */
    audited(record: { type: string; detail: string | null }): void {
      const outcome = outcomeOf[record.type as AuditEventType]
      if (outcome === undefined) return
      if (record.type === 'passkey.failure' && registering(record.detail)) return
      count[outcome]()
    },
    throttled: count.throttled,
  }
}

function registering(detail: string | null): boolean {
  if (detail === null) return false
  try {
    return (JSON.parse(detail) as { ceremony?: unknown }).ceremony === 'register'
  } catch {
    return false
  }
}
