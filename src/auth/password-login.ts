import type { UserRecord } from '../store/store.js'
import type { AuditService } from './audit.js'
import { clientKey } from './client-key.js'
import { accountKey, type LoginThrottle } from './login-throttle.js'
import { canonicalLogin } from './usernames.js'
import type { LoginResult, UserService } from './users.js'

/** What a password login uses: the users, the login throttle and the audit log. */
export interface PasswordLoginServices {
  users: Pick<UserService, 'findByLogin' | 'authenticate'>
  throttle: LoginThrottle
  audit: AuditService
}

/** Who tries a password, as the HTTP layer saw it (throttling and audit). */
export interface PasswordLoginContext {
  /** The client the login is for (the audit record's client); null when none is known. */
  clientId: string | null
  ip: string
  userAgent: string | null
  /** The device token an earlier success on this device returned (login throttle). */
  deviceToken?: string | undefined
}

/** How a password check ended. A throttled attempt throws instead (429 too_many_requests). */
export type PasswordLoginResult =
  /** Right password, usable account: the throttle's counters are cleared. */
  | { ok: true; user: UserRecord; deviceToken: string | null }
  /** Unknown user, wrong or malformed password, disabled account: one answer, same work. */
  | { ok: false; reason: 'invalid' }
  /** Right password, but the address is not verified and the policy requires it. */
  | { ok: false; reason: 'email_not_verified' }

/**
 * The one password check behind every login, the password grant (RFC 6749 §4.3) and the hosted
 * login page alike, so both share the same counters and give an attacker no second door: the
 * attempt is reserved with the login throttle before any password work (RFC 6749 §4.3.2; NIST
 * SP 800-63B-4 §3.2.2), the password is checked with the same work whether or not the account
 * exists, failures and lockouts are audited, and a right password of an account whose address
 * is not verified (when `requireVerifiedEmail`) counts as neither a failure nor a login.
 *
 * Throws the throttle's 429 ApiError (with Retry-After), having checked nothing, when the
 * attempt must not happen.
 */
export async function passwordLogin(
  services: PasswordLoginServices,
  policy: { requireVerifiedEmail?: boolean | undefined },
  username: string,
  password: string,
  context: PasswordLoginContext,
): Promise<PasswordLoginResult> {
  const { users, throttle, audit } = services
  // The lookup is cheap and looks the same for every login; the throttle then counts every
  // spelling of one account together, and unknown logins by their canonical text.
  const login = canonicalLogin(username)
  const found = await users.findByLogin(login)
  const attempt = await throttle.reserve(
    accountKey(found, login ?? username),
    clientKey(context.ip),
    context.deviceToken === '' ? undefined : context.deviceToken,
  )
  const auditContext = {
    clientId: context.clientId,
    ip: context.ip,
    userAgent: context.userAgent,
  }
  let result: LoginResult
  try {
    result = await users.authenticate(username, password, { found })
  } catch (error) {
    await attempt.release()
    throw error
  }
  if (!result.ok) {
    const lockouts = await attempt.failed()
    await audit.record({
      type: 'login.failure',
      outcome: 'failure',
      userId: result.userId,
      ...auditContext,
      detail: { reason: result.reason },
    })
    if (lockouts.length > 0) {
      await audit.record({
        type: 'login.lockout',
        outcome: 'failure',
        userId: result.userId,
        ...auditContext,
        detail: { lockouts },
      })
    }
    return { ok: false, reason: 'invalid' }
  }
  const { user } = result
  if (policy.requireVerifiedEmail && !user.emailVerified) {
    // The password was right: not a failure to count, but no login either.
    await attempt.release()
    await audit.record({
      type: 'login.failure',
      outcome: 'failure',
      userId: user.id,
      ...auditContext,
      detail: { reason: 'email_not_verified' },
    })
    return { ok: false, reason: 'email_not_verified' }
  }
  return { ok: true, user, deviceToken: await attempt.succeeded() }
}
