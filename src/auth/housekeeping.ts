import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
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

const DAY_MS = 86_400_000

/** Calls `step` (which deletes up to `batch` rows) until it deletes fewer; the total. */
async function drainBatches(step: () => Promise<number>, batch: number): Promise<number> {
  let total = 0
  for (;;) {
    const n = await step()
    total += n
    if (n < batch) return total
  }
}
/** How long a used or expired email token is kept after it died (then it answers nothing). */
export const deadEmailTokenDays = 1
/** How long a sent message's row is kept (its bodies are already cleared when it is sent). */
export const sentMessageDays = 7

/**
 * Deletes, in batches, email tokens used or expired more than `deadEmailTokenDays` ago, messages
 * sent more than `sentMessageDays` ago, and messages given up more than `failureRetentionDays`
 * ago (kept as long as the audit trail: an operator looks into them). Returns how many.
 */
export async function purgeMail(
  store: Pick<Store, 'emailTokens' | 'outbox'>,
  clock: Clock,
  failureRetentionDays: number,
  batch = 500,
): Promise<{ emailTokens: number; messages: number }> {
  const ago = (days: number) => new Date(clock.now() - days * DAY_MS).toISOString()
  const drain = (step: () => Promise<number>) => drainBatches(step, batch)
  const tokensBefore = ago(deadEmailTokenDays)
  const [sentBefore, failedBefore] = [ago(sentMessageDays), ago(failureRetentionDays)]
  const [emailTokens, messages] = await Promise.all([
    drain(() => store.emailTokens.purge(tokensBefore, batch)),
    drain(() => store.outbox.purge(sentBefore, failedBefore, batch)),
  ])
  return { emailTokens, messages }
}

/**
 * How long an expired authorization code is kept: presenting a spent code again within it still
 * revokes the tokens its first use issued (RFC 6749 §4.1.2), after it the code is just unknown.
 */
export const deadCodeDays = 1

/**
 * Deletes, in batches, authorization codes expired more than `deadCodeDays` ago and browser
 * sessions ended or expired before now (the token sessions they started live on, or were
 * revoked when they ended). Returns how many.
 */
export async function purgeAuthorization(
  store: Pick<Store, 'authorizationCodes' | 'browserSessions'>,
  clock: Clock,
  batch = 500,
): Promise<{ codes: number; browserSessions: number }> {
  const now = clock.now()
  const codesBefore = new Date(now - deadCodeDays * DAY_MS).toISOString()
  const sessionsBefore = new Date(now).toISOString()
  const [codes, browserSessions] = await Promise.all([
    drainBatches(() => store.authorizationCodes.purge(codesBefore, batch), batch),
    drainBatches(() => store.browserSessions.purge(sessionsBefore, batch), batch),
  ])
  return { codes, browserSessions }
}

/**
 * Deletes, in batches, MFA tokens and WebAuthn challenges expired or spent before now: both are
 * single-use and minutes long, and a dead one answers exactly as an unknown one. Returns how many.
 */
export async function purgeMfa(
  store: Pick<Store, 'mfaTokens' | 'webauthnChallenges'>,
  clock: Clock,
  batch = 500,
): Promise<{ mfaTokens: number; webauthnChallenges: number }> {
  const now = new Date(clock.now()).toISOString()
  const [mfaTokens, webauthnChallenges] = await Promise.all([
    drainBatches(() => store.mfaTokens.purge(now, batch), batch),
    drainBatches(() => store.webauthnChallenges.purge(now, batch), batch),
  ])
  return { mfaTokens, webauthnChallenges }
}

/**
 * Every `intervalMs`: purges dead sessions (revoked, or past their idle or absolute expiry), the
 * denylist entries of revoked machine tokens that have expired since, audit records past their
 * retention, throttle counters whose window and block have passed, and dead email tokens and
 * delivered or given-up messages (`purgeMail`, failures kept as long as audit records), dead
 * authorization codes and browser sessions (`purgeAuthorization`), dead MFA tokens and WebAuthn
 * challenges (`purgeMfa`), in small batches so requests are never held up.
 */
export function startPurging(
  targets: {
    sessions: SessionService
    machineTokens: MachineTokens
    audit: AuditService
    auditRetentionDays: number
    throttle: LoginThrottle
    mail: { store: Pick<Store, 'emailTokens' | 'outbox'>; clock: Clock }
    authorization: { store: Pick<Store, 'authorizationCodes' | 'browserSessions'>; clock: Clock }
    mfa: { store: Pick<Store, 'mfaTokens' | 'webauthnChallenges'>; clock: Clock }
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
        purgeMail(targets.mail.store, targets.mail.clock, targets.auditRetentionDays),
        purgeAuthorization(targets.authorization.store, targets.authorization.clock),
        purgeMfa(targets.mfa.store, targets.mfa.clock),
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
