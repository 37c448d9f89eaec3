import type { Writable } from 'node:stream'
import type { Transporter } from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js'
import type { MailDeliveryConfig } from '../config/mail.js'
import { consoleTransport } from './console-transport.js'

/** One message to deliver: the outbox row's recipient, subject and both bodies. */
export interface OutgoingMail {
  to: string
  subject: string
  text: string
  html: string
}

/** Delivers messages; `send` resolves once the server accepted the message. */
export interface MailTransport {
  /** Throws MailDeliveryError when the message was not accepted. */
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

/**
 * A failed delivery. `message` is the SMTP reply (code and text) or the network error code:
 * never a body, a credential or the SMTP URL, so it may be logged and stored as `lastError`.
 */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError'
  /** The SMTP reply code, when the server answered; 5xx is permanent (RFC 5321 §4.2.1). */
  readonly responseCode: number | null
  constructor(message: string, responseCode: number | null) {
    super(message)
    this.responseCode = responseCode
  }
}

/** One line of at most 300 characters: a reply text cannot forge log lines or fill the row. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 300)
}

/** What may be said of a nodemailer error: the server's reply, else the error code. */
function deliveryError(error: unknown): MailDeliveryError {
  const e = error as { response?: unknown; responseCode?: unknown; code?: unknown }
  const code = typeof e.responseCode === 'number' ? e.responseCode : null
  if (typeof e.response === 'string' && e.response)
    return new MailDeliveryError(oneLine(e.response), code)
  // Messages of network errors name the host and port, never the credentials, which nodemailer
  // receives apart from the URL; the code alone is enough to act on.
  const name = typeof e.code === 'string' ? e.code : 'EUNKNOWN'
  return new MailDeliveryError(code ? `${code} ${name}` : name, code)
}

/**
 * Nodemailer options from the SMTP URL. `smtp://` requires STARTTLS (`requireTLS`: a server that
 * does not offer it, or one whose certificate does not verify, fails the delivery instead of
 * falling back to plaintext, which would expose credentials and every token in transit);
 * `smtps://` is implicit TLS. `?tls=off` (config allows it on loopback only) sends in plaintext.
 * Certificates are always verified, against Node's CA store (plus `NODE_EXTRA_CA_CERTS`).
 */
export function smtpOptions(
  delivery: MailDeliveryConfig & { smtpUrl: string },
): SMTPTransport.Options {
  const url = new URL(delivery.smtpUrl)
  const implicit = url.protocol === 'smtps:'
  const plaintext = url.searchParams.get('tls') === 'off'
  const timeout = delivery.sendTimeoutSeconds * 1000
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : implicit ? 465 : 587,
    secure: implicit,
    requireTLS: !implicit && !plaintext,
    ignoreTLS: plaintext,
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // Nodemailer's own logging could print the conversation, credentials included.
    logger: false,
    debug: false,
  }
}

/**
 * The SMTP transport for `delivery` (whose `smtpUrl` is set): every message from `delivery.from`,
 * marked automatic (`Auto-Submitted`, RFC 3834) so that mail servers send no vacation replies.
 * A delivery that takes longer than `sendTimeoutSeconds` in all fails (a server may answer each
 * line just within the socket timeout), so a send never outlives the sender's claim.
 */
export function smtpTransport(delivery: MailDeliveryConfig & { smtpUrl: string }): MailTransport {
  // nodemailer is loaded by the first message, not at start: a server without mail to send
  // need not pay for it.
  // The URL is read now, so a bad one fails the start, not every later delivery.
  const options = smtpOptions(delivery)
  let transporter: Promise<Transporter> | undefined
  const connect = () =>
    import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport(options, {
        from: delivery.from,
        headers: { 'Auto-Submitted': 'auto-generated' },
      }),
    )
  const limit = delivery.sendTimeoutSeconds * 1000
  return {
    async send(mail) {
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MailDeliveryError('ETIMEDOUT', null)), limit)
      })
      try {
        // A failed load is not kept: the next message tries again.
        transporter ??= connect().catch((error: unknown) => {
          transporter = undefined
          throw error
        })
        await Promise.race([
          transporter
            .then((smtp) => smtp.sendMail(mail))
            .catch((error: unknown) => {
              throw deliveryError(error)
            }),
          deadline,
        ])
      } finally {
        clearTimeout(timer)
      }
    },
    close: () =>
      void transporter?.then(
        (smtp) => smtp.close(),
        () => {},
      ),
  }
}

/** SMTP when `delivery.smtpUrl` is set, else the console (development; see consoleTransport). */
export function createMailTransport(delivery: MailDeliveryConfig, out?: Writable): MailTransport {
  const { smtpUrl } = delivery
  return smtpUrl ? smtpTransport({ ...delivery, smtpUrl }) : consoleTransport(delivery.from, out)
}
