import type { MessageContent } from '../../mail/messages.js'
import type { UserRecord } from '../../store/store.js'
import type { EmailTokens } from '../email-tokens.js'

/**
 * Tells a user by email what happened to their second factors, so an attacker who changes them
 * (or spends a recovery code) does not go unseen. Only where the email flows are on and the user
 * has an address.
 */
export class MfaNotices {
  constructor(
    private readonly emailTokens: Pick<EmailTokens, 'notify'>,
    private readonly enabled: boolean,
  ) {}

  async send(user: UserRecord, content: MessageContent): Promise<void> {
    if (!this.enabled || !user.email) return
    await this.emailTokens.notify(content, user.email)
  }
}
