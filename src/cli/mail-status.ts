import { type Command, printLines, println } from './command.js'
import { intOption } from './options.js'
import { formatTable } from './table.js'

// As `printable` (command.ts) but as JSON escapes, so the line stays valid JSON: a recipient or
// an SMTP reply must not drive or forge the operator's terminal (JSON.stringify leaves C1,
// bidi and line-separator characters as they are).
const unsafe = /[\p{Cc}\p{Cf}\u2028\u2029]/gu
const unitEscape = (c: string) =>
  Array.from(
    { length: c.length },
    (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`,
  ).join('')
const jsonLine = (value: unknown) => JSON.stringify(value).replace(unsafe, unitEscape)

export const mailStatusCommand: Command = {
  name: 'mail status',
  summary: 'the mail outbox: pending, retrying, sent and failed messages',
  help: `usage: portcullis mail status [--failures N] [--json]

Counts the outbox messages: pending (waiting for a first attempt or a retry), retrying (pending
after at least one failed attempt), sent and failed (given up: refused with an SMTP 5xx reply,
or PORTCULLIS_MAIL_MAX_ATTEMPTS reached). Then lists the most recent failures: id, kind,
recipient, attempts, when it was given up and the last SMTP reply. Message bodies are never
shown (they carry single-use tokens, and are deleted once a message is sent or given up).

options:
  --failures N   at most N recent failures (0 to 1000, default 20)
  --json         one JSON object: {pending, retrying, sent, failed, recent_failures: [...]}`,
  options: { failures: { type: 'string' }, json: { type: 'boolean' } },
  needs: 'store',
  async run({ values, store, io }) {
    const status = await store.outbox.status(intOption(values, 'failures', 20, 0, 1000))
    const failures = status.recentFailures.map((m) => ({
      id: m.id,
      kind: m.kind,
      recipient: m.recipient,
      attempts: m.attempts,
      failed_at: m.failedAt,
      last_error: m.lastError,
    }))
    if (values.json) {
      const { pending, retrying, sent, failed } = status
      const report = { pending, retrying, sent, failed, recent_failures: failures }
      io.stdout.write(`${jsonLine(report)}\n`)
      return 0
    }
    const counts = [[status.pending, status.retrying, status.sent, status.failed].map(String)]
    printLines(io.stdout, formatTable(['PENDING', 'RETRYING', 'SENT', 'FAILED'], counts))
    if (failures.length === 0) return 0
    println(io.stdout)
    println(io.stdout, 'recent failures:')
    const rows = failures.map((f) => [
      f.id,
      f.kind,
      f.recipient,
      String(f.attempts),
      f.failed_at ?? '',
      f.last_error ?? '',
    ])
    printLines(
      io.stdout,
      formatTable(['ID', 'KIND', 'RECIPIENT', 'ATTEMPTS', 'FAILED AT', 'LAST ERROR'], rows),
    )
    return 0
  },
}
