/** Fixtures shared by the email-token and outbox parts of the Store contract suite. */
import type { TestContext } from 'node:test'
import type {
  EmailTokenPurpose,
  EmailTokenRecord,
  OutboxRecord,
  Store,
  UserRecord,
} from '../../src/store/store.js'
import { T0, T2 } from './contract-helpers.js'

/** Opens two stores on one fresh, migrated database (two pools, or two connections to a file). */
export type FreshPair = (t: TestContext) => Promise<[Store, Store]>

/** A token of `purpose` for `user`, bound to the user's address, issued at T0, expiring at T2. */
export function newToken(
  hash: string,
  purpose: EmailTokenPurpose,
  user: Pick<UserRecord, 'id' | 'email' | 'emailCanonical'>,
  overrides: Partial<EmailTokenRecord> = {},
): EmailTokenRecord {
  return {
    hash,
    purpose,
    userId: user.id,
    email: user.email ?? 'nobody@example.com',
    emailCanonical: user.emailCanonical ?? 'nobody@example.com',
    createdAt: T0,
    expiresAt: T2,
    usedAt: null,
    ...overrides,
  }
}

/** A message due at T0, never tried. */
export function newMessage(id: string, overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  return {
    id,
    kind: 'reset_password',
    recipient: 'someone@example.com',
    subject: `Subject of ${id}`,
    textBody: `Text of ${id}: https://auth.example.com/reset-password#token=secret`,
    htmlBody: `<p>HTML of ${id}</p>`,
    createdAt: T0,
    attempts: 0,
    nextAttemptAt: T0,
    claimedBy: null,
    claimedUntil: null,
    sentAt: null,
    failedAt: null,
    lastError: null,
    ...overrides,
  }
}

/** `id` as an outbox id that sorts in creation order (as real ones do). */
export const messageId = (round: number, i: number) =>
  `m-${String(round).padStart(3, '0')}-${String(i).padStart(4, '0')}`
