import { setImmediate } from 'node:timers/promises'
import type { Clock } from '../clock.js'
import { ApiError, invalidEmailToken, invalidRequest } from '../errors.js'
import type { Store, UserRecord } from '../store/store.js'
import type { Actor, AuditService, RequestMeta } from './audit.js'
import { hashEmailToken } from './email-token.js'
import type { EmailTokens } from './email-tokens.js'
import type { LoginThrottle } from './login-throttle.js'
import type { MailLimits } from './mail-limits.js'
import type { PasswordHasher } from './password-hasher.js'
import { checkNewPassword, type PasswordPolicy } from './password-policy.js'
import { canonicalEmail } from './usernames.js'

/** Whether notices go out: the email flows are on (`PORTCULLIS_EMAIL_FLOWS`). */
export interface RecoveryOptions {
  enabled: boolean
}

export interface RecoveryDeps {
  store: Store
  emailTokens: EmailTokens
  hasher: Pick<PasswordHasher, 'hash'>
  throttle: Pick<LoginThrottle, 'clearAccount'>
  /** The per-IP and per-address budgets every endpoint that sends mail shares. */
  limits: MailLimits
  audit: AuditService
  clock: Clock
  /** Where the work done after `forgot` has answered reports a failure (the app log). */
  onError: (error: unknown) => void
}

const noAddress = () =>
  new ApiError('no_email', 'the user has no email address to send a reset link to')

/**
 * Password recovery by email: a reset link on request (`forgot`), the reset itself (`reset`),
 * a link sent by an admin, and the notice after a password change.
 *
 * Enumeration safety of `forgot` (ASVS 6.4.1 / NIST SP 800-63B-4 §4.2): the caller's answer
 * is decided, and returned, before anything depends on whether the address belongs to
 * someone. `forgot` counts the per-IP and per-address limits (the same two writes for any
 * address) and resolves; looking the address up, issuing the token and writing its message
 * run afterwards, detached from the response. So the answer, its headers and its time are the
 * same for a known and an unknown address by construction, rather than by padding to a floor
 * that a slow database could overshoot. `idle()` waits for that detached work (tests, shutdown).
 */
export class PasswordRecovery {
  private readonly pending = new Set<Promise<void>>()

  constructor(
    private readonly deps: RecoveryDeps,
    private readonly policy: PasswordPolicy,
    private readonly options: RecoveryOptions,
  ) {}

  private now = () => new Date(this.deps.clock.now()).toISOString()

  /**
   * Asks for a reset link to `email`. Resolves the same way, in the same time, whether or not
   * the address belongs to a user: a token and its message go out only to an enabled user's
   * address, after this resolves. Throws 400 for text that is not an address and 429 with
   * Retry-After over the per-IP or per-address limit, counted alike for every address.
   */
  async forgot(email: string, meta: RequestMeta): Promise<void> {
    const canonical = canonicalEmail(email)
    if (!canonical) throw invalidRequest('email is not a valid email address')
    await this.deps.limits.hit(meta.ip, canonical)
    this.detach(() => this.sendLinkIfKnown(canonical, meta))
  }

  /**
   * Sets a new password with a reset token. The policy applies first (400 invalid_request
   * naming the rule; the token stays unspent). Then, in one store transaction, the token is
   * spent, the password replaced, every other reset token voided, every session of the user
   * revoked and the notice enqueued; finally the login throttle's counters of the account are
   * cleared, so the owner can log in at once. A used, expired, unknown or other-purpose token
   * (or one of a disabled user): 400 invalid_token, one description for all.
   */
  async reset(token: string, newPassword: string, meta: RequestMeta): Promise<void> {
    const { store, emailTokens } = this.deps
    const hash = hashEmailToken(token)
    const found = await store.emailTokens.find(hash, 'reset_password', this.now())
    const user = found ? await store.users.findById(found.userId) : null
    if (!found || !user || user.disabled) throw invalidEmailToken()
    const normalized = checkNewPassword(newPassword, user.username, this.policy)
    const passwordHash = await this.deps.hasher.hash(normalized)
    const notice = emailTokens.message(
      { kind: 'password_changed', username: user.username, how: 'reset' },
      user.email ?? found.email,
    )
    const redeemed = await store.emailTokens.redeem(hash, this.now(), {
      purpose: 'reset_password',
      passwordHash,
      notice,
    })
    if (redeemed.outcome !== 'redeemed') throw invalidEmailToken()
    await this.deps.throttle.clearAccount(user.id)
    await this.deps.audit.record({ type: 'password.reset', userId: user.id, ...meta })
  }

  /**
   * An admin sends the user a reset link (older links die). 404 for an unknown user, 409
   * `no_email` when it has no address, 400 when it is disabled (its link would not work).
   */
  async sendResetLink(userId: string, actor: Actor): Promise<void> {
    const user = await this.deps.store.users.findById(userId)
    if (!user) throw new ApiError('not_found', `no user ${userId}`)
    if (!user.email || !user.emailCanonical) throw noAddress()
    if (user.disabled) throw invalidRequest('the user is disabled: enable it first')
    await this.deps.emailTokens.issue('reset_password', user, user.email, user.emailCanonical)
    await this.deps.audit.record({ type: 'admin.user.reset_link', userId, actor })
  }

  /**
   * After a password change by the user: voids every outstanding reset and email-change link
   * (a link sent before the change must not undo it) and sends a notice to the address, if there is one.
   */
  async passwordChanged(user: UserRecord): Promise<void> {
    await this.deps.emailTokens.voidCredentialLinks(user.id)
    if (!user.email || !this.options.enabled) return
    await this.deps.emailTokens.notify(
      { kind: 'password_changed', username: user.username, how: 'changed' },
      user.email,
    )
  }

  /** Resolves once the work detached by earlier `forgot` calls has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }

  /**
   * Runs `work` from the next turn of the event loop, never within this one: awaited store
   * calls that complete at once (SQLite) would otherwise run it before the answer is sent.
   */
  private detach(work: () => Promise<void>): void {
    const tracked = setImmediate()
      .then(work)
      .catch(this.deps.onError)
      .finally(() => this.pending.delete(tracked))
    this.pending.add(tracked)
  }

  /** The part of `forgot` that depends on the address: only an enabled user gets a link. */
  private async sendLinkIfKnown(emailCanonical: string, meta: RequestMeta): Promise<void> {
    const user = await this.deps.store.users.findByEmail(emailCanonical)
    if (!user || user.disabled || !user.email) return
    await this.deps.emailTokens.issue('reset_password', user, user.email, emailCanonical)
    await this.deps.audit.record({ type: 'password.reset_requested', userId: user.id, ...meta })
  }
}
