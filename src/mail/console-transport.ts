import type { Writable } from 'node:stream'
import type { MailTransport } from './transport.js'

const rule = '='.repeat(72)

/**
 * Development without SMTP: each message is printed to `out` (standard output), headers and text
 * body between two marked rules, instead of being sent. It prints the links and tokens the
 * messages carry, so configuration refuses it in production (no `PORTCULLIS_SMTP_URL` with the
 * email flows on).
 */
export function consoleTransport(from: string, out: Writable = process.stdout): MailTransport {
  return {
    async send(mail) {
      const text = [
        rule,
        'MAIL NOT SENT (no PORTCULLIS_SMTP_URL: development prints each message here)',
        `From: ${from}`,
        `To: ${mail.to}`,
        `Subject: ${mail.subject}`,
        '',
        mail.text.trimEnd(),
        rule,
        '',
      ].join('\n')
      await new Promise<void>((resolve, reject) =>
        out.write(text, (error) => (error ? reject(error) : resolve())),
      )
    },
    close() {},
  }
}
