import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { Store, UserRecord } from '../store/store.js'
import type {
  BrowserLogin,
  LoginContext,
  SecondStepOutcome,
  SecondStepServices,
} from './browser-login.js'
import type { TotpEnrollment } from './mfa/mfa-service.js'
import { sha256 } from './sha256.js'

/**
 * The hosted login page's second step (after a right password): a code completes the sign-in,
 * or a role that requires a factor enrolls one first. Used through BrowserSessions, which starts
 * the browser session once every factor is checked.
 */

/** What the second step uses: the factors and their tokens, and how a session starts. */
export interface SecondStepDeps extends SecondStepServices {
  store: Pick<Store, 'mfaTokens'>
  clock: Clock
  /** Starts the browser session (BrowserSessions.start), only after every factor is checked. */
  start(
    user: UserRecord,
    amr: string[],
    authTime: string,
    context: LoginContext,
  ): Promise<{ login: BrowserLogin; cookie: string }>
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The page's answer to the login throttle's 429 (its Retry-After); null for any other error. */
export function throttledOutcome(
  error: unknown,
): { ok: false; reason: 'throttled'; retryAfterSeconds: number } | null {
  if (!(error instanceof ApiError) || error.code !== 'too_many_requests') return null
  return {
    ok: false,
    reason: 'throttled',
    retryAfterSeconds: Number(error.headers['retry-after'] ?? '60'),
  }
}

/**
 * The second step of a page sign-in: completes `mfaToken` (of the request's client) with
 * `code` through MfaLogins (a TOTP or recovery code; for a user enrolling at sign-in, the code
 * that confirms the new authenticator), with its throttle, attempt limit and audit, and starts
 * the browser session with the sign-in's `amr` and the password's `auth_time`.
 */
export async function completeSecondFactor(
  deps: SecondStepDeps,
  mfaToken: string,
  code: string,
  context: LoginContext & { clientId: string },
): Promise<SecondStepOutcome> {
  const mfaContext = { clientId: context.clientId, ip: context.ip, userAgent: context.userAgent }
  try {
    const done = await deps.mfaLogins.complete(mfaToken, context.clientId, code, mfaContext)
    const started = await deps.start(done.user, done.amr, done.authTime, context)
    return {
      ok: true,
      ...started,
      ...(done.recoveryCodes ? { recoveryCodes: done.recoveryCodes } : {}),
    }
  } catch (error) {
    const throttled = throttledOutcome(error)
    if (throttled) return throttled
    if (!(error instanceof ApiError) || error.code !== 'invalid_grant') throw error
    // One refusal for a wrong code; the form is offered again only while the token lives.
    const live = await deps.store.mfaTokens.findLive(
      sha256(mfaToken),
      context.clientId,
      iso(deps.clock.now()),
    )
    return { ok: false, reason: live === null ? 'expired' : 'wrong_code' }
  }
}

/**
 * The TOTP enrollment to show for a sign-in whose role requires a factor; null (start again)
 * when the token is not live, or its user already has a confirmed factor: a password alone
 * must never enroll a second authenticator next to the first.
 */
export async function beginEnrollment(
  deps: SecondStepServices,
  mfaToken: string,
  context: LoginContext & { clientId: string },
): Promise<TotpEnrollment | null> {
  const mfaContext = { clientId: context.clientId, ip: context.ip, userAgent: context.userAgent }
  let user: UserRecord
  try {
    user = await deps.mfaLogins.userOf(mfaToken, context.clientId)
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_grant') return null
    throw error
  }
  if (await deps.mfa.hasFactor(user.id)) return null
  return deps.mfa.enrollTotp(user, mfaContext)
}
