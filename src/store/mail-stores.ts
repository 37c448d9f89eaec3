/**
 * The storage ports of the email flows: single-use email tokens and the mail outbox. Part of the
 * Store port (src/store/store.ts), kept apart so that file stays one concept per section.
 */
import type { EmailTokenPurpose, EmailTokenRecord, OutboxRecord } from './records.js'

/** What redeeming an email token does besides spending it, in the same transaction. */
export type Redemption =
  /** Marks the address verified, if it is still the user's address (canonical match). */
  | { purpose: 'verify_email' }
  /**
   * Makes the token's address the user's, verified; `email_taken` (nothing changes, the token
   * stays unspent) when another user holds it by then; `invalid` for a disabled user.
   */
  | { purpose: 'change_email'; notice: OutboxRecord | null }
  /**
   * Replaces the password hash and marks the address verified (the link reached it), voids every
   * other reset token and every email-change token of the user, revokes every session of the
   * user, and enqueues `notice`.
   */
  | { purpose: 'reset_password'; passwordHash: string; notice: OutboxRecord }

/** How `emailTokens.redeem` ended; `invalid` covers used, expired, unknown and wrong-purpose. */
export type RedeemOutcome =
  | { outcome: 'redeemed'; token: EmailTokenRecord }
  | { outcome: 'invalid' }
  | { outcome: 'email_taken' }

/** Single-use tokens sent by mail (verification, reset, email change), stored as hashes. */
export interface EmailTokenStore {
  /**
   * In one transaction: voids the user's unused tokens of the same purpose when `voidOthers`,
   * inserts `token`, and enqueues `message` (which carries it) and the `notices` that go with
   * it: the token and its messages exist together or not at all.
   */
  issue(
    token: EmailTokenRecord,
    message: OutboxRecord,
    voidOthers: boolean,
    notices?: readonly OutboxRecord[],
  ): Promise<void>
  /** The token `hash` if it is of `purpose`, unused and unexpired at `now`; else null. */
  find(hash: string, purpose: EmailTokenPurpose, now: string): Promise<EmailTokenRecord | null>
  /**
   * Spends the token `hash` (of `redemption.purpose`, unused and unexpired at `now`) and applies
   * the redemption, in one transaction. Of any number of concurrent callers with the same hash,
   * at most one gets `redeemed`.
   */
  redeem(hash: string, now: string, redemption: Redemption): Promise<RedeemOutcome>
  /** Voids every unused token of the user and purpose (a password change voids resets); how many. */
  voidForUser(userId: string, purpose: EmailTokenPurpose, at: string): Promise<number>
  /** Deletes up to `limit` tokens expired or used before `before`; returns how many. */
  purge(before: string, limit: number): Promise<number>
  /** For copying: tokens after `afterHash` in hash order, and complete rows back in. */
  page(afterHash: string | null, limit: number): Promise<EmailTokenRecord[]>
  insertRecord(token: EmailTokenRecord): Promise<void>
}

/** Counts of the outbox by state, and the latest permanent failures, for `mail status`. */
export interface OutboxStatus {
  /** Waiting for a first attempt or a retry (claimed or not). */
  pending: number
  /** Pending after at least one failed attempt. */
  retrying: number
  sent: number
  failed: number
  /** The newest given-up messages (bodies excluded), newest first. */
  recentFailures: Pick<
    OutboxRecord,
    'id' | 'kind' | 'recipient' | 'createdAt' | 'attempts' | 'failedAt' | 'lastError'
  >[]
}

/**
 * The mail outbox, drained by every instance's sender. A message is claimed with a lease, so
 * concurrent senders never hold one message at once, and a sender that dies loses its claim
 * when the lease runs out (delivery is at least once).
 */
export interface OutboxStore {
  /**
   * Enqueues a message that carries no token (a notice). Enqueuing the same message again
   * changes nothing; another message with a taken id throws UniqueViolationError('id').
   */
  enqueue(message: OutboxRecord): Promise<void>
  /**
   * Claims up to `limit` messages due at `now` (unsent, not given up, unclaimed or with an
   * expired lease), oldest first, for `worker` until `leaseUntil`, atomically: concurrent
   * claimers never get the same message (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
   */
  claim(now: string, worker: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]>
  /** Marks the message sent if `worker` still holds it, clearing its bodies; whether it did. */
  markSent(id: string, worker: string, at: string): Promise<boolean>
  /**
   * Records a failed attempt if `worker` still holds it: attempts + 1, `lastError`, the lease
   * released, and either a retry at `retryAt` or (when null) given up at `at`, bodies cleared.
   */
  markFailed(
    id: string,
    worker: string,
    at: string,
    error: string,
    retryAt: string | null,
  ): Promise<boolean>
  status(limit: number): Promise<OutboxStatus>
  /**
   * Deletes up to `limit` messages sent before `sentBefore` or given up before `failedBefore`
   * (failures are kept longer, for `mail status`); returns how many.
   */
  purge(sentBefore: string, failedBefore: string, limit: number): Promise<number>
  /** For copying: messages after `afterId` in id order, and complete rows back in. */
  page(afterId: string | null, limit: number): Promise<OutboxRecord[]>
  insertRecord(message: OutboxRecord): Promise<void>
}
