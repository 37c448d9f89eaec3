import { auditId } from '../../src/auth/audit.js'
import type { OutboxRecord } from '../../src/store/store.js'

/** An outbox message due at `at` (ISO), as EmailTokens.message builds one; `n` tells them apart. */
export function outboxMessage(at: string, n = 0, kind = 'reset_password'): OutboxRecord {
  return {
    id: auditId(Date.parse(at)),
    kind,
    recipient: `user${n}@example.test`,
    subject: `Message ${n}`,
    textBody: `Text ${n}: https://portcullis.test/reset-password#token=secret-token-${n}`,
    htmlBody: `<p>HTML ${n}: <a href="https://portcullis.test/reset-password#token=secret-token-${n}">reset</a></p>`,
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
