import type { Clock } from '../clock.js'
import { invalidEmailToken } from '../errors.js'
import type { Store, UserRecord } from '../store/store.js'
import type { AuditService, RequestMeta } from './audit.js'
import { hashEmailToken } from './email-token.js'
import type { EmailTokens } from './email-tokens.js'
import type { MailLimits } from './mail-limits.js'
import { taken } from './users.js'

/** What the verification service works with. */
export interface EmailVerificationDeps {
  store: Pick<Store, 'users' | 'emailTokens'>
  emailTokens: EmailTokens
  audit: AuditService
  clock: Clock
  limits: MailLimits
}

/**
 * Proves that a user receives mail at their address: sends verification links and redeems
 * them, and confirms email changes (their links open the same page and call the same
 * endpoint). Tokens are single-use and typed; every failure to redeem (used, expired, unknown,
 * another purpose) gives one answer, `invalidEmailToken()`, so it tells nothing about which.
 */
export class EmailVerification {
  constructor(private readonly deps: EmailVerificationDeps) {}

  private now = () => new Date(this.deps.clock.now()).toISOString()

  /**
   * Sends a verification link to the user's address, voiding any older one; nothing when the
   * user has no address or it is already verified. For registration and `resend`.
   */
  async send(user: UserRecord, meta: RequestMeta): Promise<void> {
    if (user.email === null || user.emailCanonical === null || user.emailVerified) return
    await this.deps.emailTokens.issue('verify_email', user, user.email, user.emailCanonical)
    await this.deps.audit.record({ type: 'email.verification_sent', userId: user.id, ...meta })
  }

  /**
   * Sends a new verification link (the older one dies), under the mail limits of the caller's
   * IP and of the address (429 with Retry-After). Nothing is sent when the address is already
   * verified or there is none: the limits still count, so the answer is the same.
   */
  async resend(user: UserRecord, meta: RequestMeta): Promise<void> {
    await this.deps.limits.hit(meta.ip, user.emailCanonical)
    // The record behind an access token may be cached: decide on the stored one.
    const fresh = await this.deps.store.users.findById(user.id)
    if (fresh) await this.send(fresh, meta)
  }

  /**
   * Redeems a `verify_email` token (the address it was sent to becomes verified, if it is still
   * the user's) or a `change_email` token (the new address becomes the user's, verified, and
   * the old address is told). Throws `invalidEmailToken()` for any token that cannot be
   * redeemed, or 409 `email_taken` when the new address went to another user meanwhile (the
   * token then stays unspent).
   */
  async verify(token: string, meta: RequestMeta): Promise<void> {
    const hash = hashEmailToken(token)
    const now = this.now()
    const { emailTokens } = this.deps.store
    if (await emailTokens.find(hash, 'verify_email', now)) {
      const result = await emailTokens.redeem(hash, now, { purpose: 'verify_email' })
      if (result.outcome !== 'redeemed') throw invalidEmailToken()
      await this.deps.audit.record({
        type: 'email.verified',
        userId: result.token.userId,
        ...meta,
      })
      return
    }
    const change = await emailTokens.find(hash, 'change_email', now)
    if (!change) throw invalidEmailToken()
    const user = await this.deps.store.users.findById(change.userId)
    if (!user) throw invalidEmailToken()
    // The notice goes to the address being replaced, in the transaction that replaces it.
    const notice =
      user.email === null
        ? null
        : this.deps.emailTokens.message(
            { kind: 'email_changed', username: user.username, newEmail: change.email },
            user.email,
          )
    const result = await emailTokens.redeem(hash, now, { purpose: 'change_email', notice })
    if (result.outcome === 'email_taken') throw taken('email')
    if (result.outcome !== 'redeemed') throw invalidEmailToken()
    await this.deps.audit.record({
      type: 'email.changed',
      userId: user.id,
      ...meta,
      detail: { from: user.email, to: change.email },
    })
  }
}
