import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { MailDeliveryConfig } from '../config/mail.js'
import type { OutboxRecord, OutboxStore } from '../store/store.js'
import { MailDeliveryError, type MailTransport } from './transport.js'

/** The longest wait between two attempts, however many failed. */
const maxBackoffSeconds = 3600

/** What one `runOnce` did. */
export interface SendRound {
  sent: number
  /** Failed attempts that will be retried. */
  retrying: number
  /** Messages given up in this round (a permanent refusal, or the last attempt). */
  failed: number
}

type SenderOptions = Pick<
  MailDeliveryConfig,
  'maxAttempts' | 'retrySeconds' | 'sendTimeoutSeconds' | 'pollSeconds'
>

/**
 * Drains the mail outbox. Every instance runs one; each claims one message at a time with a
 * lease of twice the send timeout (so the lease outlives the send, and a sender killed mid-send
 * loses its claim when the lease runs out: delivery is at least once, never by two senders at
 * once), sends it, and marks it sent. A failure is retried after `retrySeconds · 2^attempts`
 * (at most an hour) until `maxAttempts`; an SMTP 5xx reply (a permanent refusal, RFC 5321
 * §4.2.1) gives up at once. Given-up and sent messages lose their bodies (the store clears them).
 *
 * Logs name the message id, kind, attempt and the SMTP reply only: never a recipient, a body (the
 * bodies carry single-use tokens) or the SMTP URL.
 */
export class MailSender {
  /** This instance's name on its claims; random, so two processes never share one. */
  readonly worker = `sender-${randomBytes(8).toString('hex')}`
  private timer: NodeJS.Timeout | undefined
  private round: Promise<SendRound> | undefined
  private stopping = false

  constructor(
    private readonly outbox: OutboxStore,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly options: SenderOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {}

  /**
   * Sends every message due now, one claim at a time, until none is left (or `stop` was called).
   * A call while a round runs joins that round. Store errors reject (the poll logs them).
   */
  runOnce(): Promise<SendRound> {
    if (!this.round) {
      this.round = this.drain().finally(() => {
        this.round = undefined
      })
    }
    return this.round
  }

  /** Polls every `pollSeconds`; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return
    this.stopping = false
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) =>
        this.log.error({ err: error }, 'mail sender: outbox not read'),
      )
    }, this.options.pollSeconds * 1000)
    this.timer.unref()
  }

  /** Stops polling and resolves once the message in flight, if any, is settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.stopping = true
    await this.round?.catch(() => {})
    this.stopping = false
  }

  private async drain(): Promise<SendRound> {
    const done: SendRound = { sent: 0, retrying: 0, failed: 0 }
    while (!this.stopping) {
      const now = this.clock.now()
      const lease = new Date(now + 2 * this.options.sendTimeoutSeconds * 1000).toISOString()
      const [message] = await this.outbox.claim(new Date(now).toISOString(), this.worker, lease, 1)
      if (!message) break
      done[await this.deliver(message)] += 1
    }
    return done
  }

  private async deliver(message: OutboxRecord): Promise<keyof SendRound> {
    const attempt = message.attempts + 1
    const about = { outbox_id: message.id, kind: message.kind, attempt }
    try {
      await this.transport.send({
        to: message.recipient,
        subject: message.subject,
        text: message.textBody,
        html: message.htmlBody,
      })
    } catch (error) {
      return this.failed(message, about, error)
    }
    const at = new Date(this.clock.now()).toISOString()
    if (await this.outbox.markSent(message.id, this.worker, at)) {
      this.log.info({ mail: about }, 'mail sent')
    } else {
      // The lease ran out during the send and another sender may have sent it too.
      this.log.warn({ mail: about }, 'mail sent after its claim expired')
    }
    return 'sent'
  }

  private async failed(
    message: OutboxRecord,
    about: { outbox_id: string; kind: string; attempt: number },
    error: unknown,
  ): Promise<keyof SendRound> {
    const code = error instanceof MailDeliveryError ? error.responseCode : null
    // Anything but a MailDeliveryError may carry more than a reply: only its class is kept.
    const reply = error instanceof MailDeliveryError ? error.message : `${(error as Error).name}`
    const permanent = code !== null && code >= 500
    const now = this.clock.now()
    const giveUp = permanent || about.attempt >= this.options.maxAttempts
    const wait = Math.min(this.options.retrySeconds * 2 ** message.attempts, maxBackoffSeconds)
    const retryAt = giveUp ? null : new Date(now + wait * 1000).toISOString()
    await this.outbox.markFailed(
      message.id,
      this.worker,
      new Date(now).toISOString(),
      reply,
      retryAt,
    )
    const details = { mail: { ...about, smtp_code: code, smtp_reply: reply, retry_at: retryAt } }
    if (giveUp) {
      this.log.error(
        details,
        permanent ? 'mail refused: given up' : 'mail given up after the last attempt',
      )
      return 'failed'
    }
    this.log.warn(details, 'mail not sent: will retry')
    return 'retrying'
  }
}
