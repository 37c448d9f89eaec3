import type { Clock } from '../clock.js'
import { type Brand, composeMessage, type MessageContent } from '../mail/messages.js'
import type { EmailTokenPurpose, OutboxRecord, Store } from '../store/store.js'
import { auditId } from './audit.js'
import { newEmailToken } from './email-token.js'

/** Lifetimes of the tokens, and what the messages carrying them say about the product. */
export interface EmailTokenOptions {
  brand: Brand
  resetTtlSeconds: number
  /** For verification and email-change tokens. */
  verifyTtlSeconds: number
}

/** The user a token is issued to: its id, and the name the message greets. */
export interface TokenHolder {
  id: string
  username: string
}

/**
 * Issues email tokens with the messages that carry them, and enqueues notices. The token leaves
 * this class only inside its message, which is written in the same transaction as the token's
 * hash (a transactional outbox): a token is never issued without its message.
 */
export class EmailTokens {
  constructor(
    private readonly store: Pick<Store, 'emailTokens' | 'outbox'>,
    private readonly clock: Clock,
    private readonly options: EmailTokenOptions,
  ) {}

  /** The outbox row of `content` addressed to `to`, due now. */
  message(content: MessageContent, to: string): OutboxRecord {
    const ms = this.clock.now()
    const at = new Date(ms).toISOString()
    const composed = composeMessage(content, this.options.brand)
    return {
      id: auditId(ms),
      kind: composed.kind,
      recipient: to,
      subject: composed.subject,
      textBody: composed.text,
      htmlBody: composed.html,
      createdAt: at,
      attempts: 0,
      nextAttemptAt: at,
      claimedBy: null,
      claimedUntil: null,
      sentAt: null,
      failedAt: null,
      lastError: null,
    }
  }

  /**
   * Issues a token of `purpose` to `user`, bound to `email` (for `change_email`, the new
   * address), and enqueues the message that carries it to that address, with `notices` (say, to
   * the old address) in the same transaction. Every older unused token of the same purpose dies
   * in it too: only the newest link works.
   */
  async issue(
    purpose: EmailTokenPurpose,
    user: TokenHolder,
    email: string,
    emailCanonical: string,
    notices: readonly { content: MessageContent; to: string }[] = [],
  ): Promise<void> {
    const { token, hash } = newEmailToken()
    const ttlSeconds =
      purpose === 'reset_password' ? this.options.resetTtlSeconds : this.options.verifyTtlSeconds
    const now = this.clock.now()
    const content: MessageContent =
      purpose === 'change_email'
        ? {
            kind: 'confirm_email_change',
            username: user.username,
            newEmail: email,
            token,
            ttlSeconds,
          }
        : { kind: purpose, username: user.username, token, ttlSeconds }
    await this.store.emailTokens.issue(
      {
        hash,
        purpose,
        userId: user.id,
        email,
        emailCanonical,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
        usedAt: null,
      },
      this.message(content, email),
      true,
      notices.map((n) => this.message(n.content, n.to)),
    )
  }

  /**
   * Voids the user's pending reset and email-change links: after a password change, an
   * operator's reset or disabling, a link issued before must not undo it (a takeover that asked
   * for an email change would otherwise outlive the owner taking the account back).
   */
  async voidCredentialLinks(userId: string): Promise<void> {
    const at = new Date(this.clock.now()).toISOString()
    for (const purpose of ['reset_password', 'change_email'] as const) {
      await this.store.emailTokens.voidForUser(userId, purpose, at)
    }
  }

  /** Enqueues a notice (a message without a token) to `to`. */
  notify(content: MessageContent, to: string): Promise<void> {
    return this.store.outbox.enqueue(this.message(content, to))
  }
}
