import { count, type Db, one } from './sql.js'
import {
  type OutboxRecord,
  type OutboxStatus,
  type OutboxStore,
  UniqueViolationError,
} from './store.js'
import { mailOutbox } from './tables.js'

const due = `sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
  AND (claimed_until IS NULL OR claimed_until <= $1)`
/**
 * Claims in one statement. PostgreSQL locks the chosen rows and skips rows another claimer has
 * locked (re-checking `due` on a row committed meanwhile), so concurrent claimers split the due
 * messages between them; SQLite runs one writer at a time, so the plain statement is atomic.
 */
const claim = (pg: boolean) => `UPDATE mail_outbox SET claimed_by = $2, claimed_until = $3
  WHERE id IN (SELECT id FROM mail_outbox WHERE ${due} ORDER BY id LIMIT $4
    ${pg ? 'FOR UPDATE SKIP LOCKED' : ''})
  RETURNING *`
const held = 'id = $1 AND claimed_by = $2 AND sent_at IS NULL AND failed_at IS NULL'
const release = 'claimed_by = NULL, claimed_until = NULL'
// The bodies carry single-use tokens: once the message is sent or given up they are dropped.
const clear = "text_body = '', html_body = ''"
const markSent = `UPDATE mail_outbox SET sent_at = $3, ${clear}, ${release} WHERE ${held}`
const failed = `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $4, ${release}`
const retry = `${failed}, next_attempt_at = $3 WHERE ${held}`
const giveUp = `${failed}, failed_at = $3, ${clear} WHERE ${held}`
const pending = 'sent_at IS NULL AND failed_at IS NULL'
const status = `SELECT count(CASE WHEN ${pending} THEN 1 END) AS pending,
  count(CASE WHEN ${pending} AND attempts > 0 THEN 1 END) AS retrying,
  count(sent_at) AS sent, count(failed_at) AS failed FROM mail_outbox`
const recentFailures = `SELECT id, kind, recipient, created_at, attempts, failed_at, last_error
  FROM mail_outbox WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1`

type Failure = OutboxStatus['recentFailures'][number]

/** The mail outbox part of the store, over either engine. */
export function outboxStore(db: Db): OutboxStore {
  const claimText = claim(db.dialect === 'postgres')
  return {
    async enqueue(message) {
      try {
        await db.query(mailOutbox.insert, mailOutbox.values(message))
      } catch (error) {
        // A retried insert whose first attempt committed before the connection dropped.
        if (!db.retriesCommitted || !(error instanceof UniqueViolationError)) throw error
        const same = 'SELECT 1 FROM mail_outbox WHERE id = $1 AND recipient = $2 AND subject = $3'
        const found = await db.query(same, [message.id, message.recipient, message.subject], one)
        if (!found) throw error
      }
    },
    claim: (now, worker, leaseUntil, limit) =>
      db.query(claimText, [now, worker, leaseUntil, limit], (r) =>
        // RETURNING follows no order: oldest first, as documented.
        r.rows.map((row) => mailOutbox.decode(row)).sort((a, b) => (a.id < b.id ? -1 : 1)),
      ),
    markSent: (id, worker, at) => db.query(markSent, [id, worker, at], one),
    markFailed: (id, worker, at, error, retryAt) =>
      retryAt === null
        ? db.query(giveUp, [id, worker, at, error], one)
        : db.query(retry, [id, worker, retryAt, error], one),
    async status(limit) {
      const counts = await db.query(status, [], ({ rows }) => rows[0] ?? {})
      const failures = await db.query(recentFailures, [limit], ({ rows }) =>
        rows.map(
          (row): Failure => ({
            id: row.id as string,
            kind: row.kind as string,
            recipient: row.recipient as string,
            createdAt: row.created_at as string,
            attempts: Number(row.attempts),
            failedAt: row.failed_at as string,
            lastError: row.last_error as string | null,
          }),
        ),
      )
      return {
        pending: Number(counts.pending ?? 0),
        retrying: Number(counts.retrying ?? 0),
        sent: Number(counts.sent ?? 0),
        failed: Number(counts.failed ?? 0),
        recentFailures: failures,
      }
    },
    purge: (sentBefore, failedBefore, limit) =>
      db.query(
        `DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
         WHERE sent_at < $1 OR failed_at < $2 LIMIT $3)`,
        [sentBefore, failedBefore, limit],
        count,
      ),
    page: (after, limit) => mailOutbox.page(db, 'id', after, limit),
    insertRecord: async (message: OutboxRecord) => {
      await db.query(mailOutbox.insert, mailOutbox.values(message))
    },
  }
}
