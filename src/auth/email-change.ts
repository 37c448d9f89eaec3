import { invalidRequest } from '../errors.js'
import type { Store, UserRecord } from '../store/store.js'
import type { AuditService, RequestMeta } from './audit.js'
import type { EmailTokens } from './email-tokens.js'
import type { MailLimits } from './mail-limits.js'
import { canonicalEmail } from './usernames.js'
import { taken, type UserService } from './users.js'

/** What the email-change service works with. */
export interface EmailChangeDeps {
  store: Pick<Store, 'users'>
  users: Pick<UserService, 'confirmPassword'>
  emailTokens: EmailTokens
  audit: AuditService
  limits: MailLimits
}

/**
 * Changes a user's address in two steps: `request` sends a confirmation link to the new address
 * (and tells the old one); the address changes only when that link is redeemed
 * (`EmailVerification.verify`), so nobody can move an account to an address they do not read.
 */
export class EmailChange {
  constructor(private readonly deps: EmailChangeDeps) {}

  /**
   * Asks to change `user`'s address to `newEmail`, confirmed by the current `password`. In
   * order: the mail limits of the caller's IP and of the new address (429), the address's form
   * (400 invalid_request), the password (400 invalid_grant, as every password-confirming route),
   * then whether another user holds the address (409 email_taken; asked only after the password
   * was right, so a stolen access token alone cannot probe addresses). Then a `change_email`
   * token goes to the new address (voiding older ones) and a notice to the old one, if any.
   */
  async request(
    user: UserRecord,
    newEmail: string,
    password: string,
    meta: RequestMeta,
  ): Promise<void> {
    const canonical = canonicalEmail(newEmail)
    await this.deps.limits.hit(meta.ip, canonical)
    if (canonical === null) throw invalidRequest('new_email is not a valid email address')
    await this.deps.users.confirmPassword(user, password)
    const fresh = (await this.deps.store.users.findById(user.id)) ?? user
    if (canonical === fresh.emailCanonical) {
      throw invalidRequest('new_email is already the address of this account')
    }
    if (await this.deps.store.users.findByEmail(canonical)) throw taken('email')
    // The owner hears of the request in the transaction that issues the link: never a link
    // without its notice.
    const notice = { kind: 'email_change_requested' as const, username: fresh.username, newEmail }
    await this.deps.emailTokens.issue(
      'change_email',
      fresh,
      newEmail,
      canonical,
      fresh.email === null ? [] : [{ content: notice, to: fresh.email }],
    )
    await this.deps.audit.record({
      type: 'email.change_requested',
      userId: user.id,
      ...meta,
      detail: { from: fresh.email, to: newEmail },
    })
  }
}
