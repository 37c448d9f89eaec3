/**
 * The storage ports of the authorization code flow and the OpenID Provider's login sessions:
 * codes, browser sessions and consents. Part of the Store port (src/store/store.ts), kept apart
 * so that file stays one concept per section.
 */
import type {
  AuthorizationCodeRecord,
  BrowserSessionRecord,
  ConsentRecord,
  SessionRecord,
  UserRecord,
} from './records.js'

/** How `authorizationCodes.redeem` ended. */
export type CodeRedemption =
  /** The code was live: it is now spent and `session` (with its first refresh token) stored. */
  | { outcome: 'redeemed'; code: AuthorizationCodeRecord }
  /**
   * The code had been redeemed before (expired since or not): the session its first redemption
   * started has been revoked in the same transaction (RFC 6749 §4.1.2: tokens issued from it are
   * revoked).
   */
  | { outcome: 'reused'; code: AuthorizationCodeRecord }
  /** Unknown, or unspent and expired at `at`. */
  | { outcome: 'invalid' }

/** Authorization codes (RFC 6749 §4.1.2), stored by their SHA-256, single-use. */
export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord): Promise<void>
  /** The code with this hash, spent or not, expired or not; null when unknown. */
  find(hash: string): Promise<AuthorizationCodeRecord | null>
  /**
   * In one transaction: spends the code `hash` if it is unspent and `expiresAt > at`, records
   * `session.id` on it and inserts `session` with its first refresh token (`firstTokenHash`,
   * none when null). Of any number of concurrent callers exactly one gets `redeemed`; the others
   * get `reused`, and by the time any of them returns, the redeemer's session is revoked
   * (revoking it is ordered after its insertion by the code row's lock).
   */
  redeem(
    hash: string,
    at: string,
    session: SessionRecord,
    firstTokenHash: string | null,
  ): Promise<CodeRedemption>
  /** Deletes up to `limit` codes that expired before `now`; returns how many. */
  purge(now: string, limit: number): Promise<number>
  /** For copying: codes after `afterHash` in hash order, and complete rows back in. */
  page(afterHash: string | null, limit: number): Promise<AuthorizationCodeRecord[]>
  insertRecord(code: AuthorizationCodeRecord): Promise<void>
}

/** The provider's login sessions in browsers, found by the SHA-256 of their cookie. */
export interface BrowserSessionStore {
  create(session: BrowserSessionRecord): Promise<void>
  /** The session with this cookie hash and its user (ended or not: the caller checks). */
  findBySecret(
    secretHash: string,
  ): Promise<{ session: BrowserSessionRecord; user: UserRecord } | null>
  findById(id: string): Promise<BrowserSessionRecord | null>
  /** Moves the last use and the idle expiry (never past the absolute one); whether it exists. */
  touch(id: string, lastSeenAt: string, idleExpiresAt: string): Promise<boolean>
  /**
   * Ends the browser session unless already ended, and revokes every unrevoked token session
   * started from it (`SessionRecord.browserSessionId`), in one transaction; whether it changed.
   */
  end(id: string, at: string): Promise<boolean>
  /** Deletes up to `limit` browser sessions ended or expired before `now`; how many. */
  purge(now: string, limit: number): Promise<number>
  /** For copying: sessions after `afterId` in id order, and complete rows back in. */
  page(afterId: string | null, limit: number): Promise<BrowserSessionRecord[]>
  insertRecord(session: BrowserSessionRecord): Promise<void>
}

/** What users allowed clients (OpenID Connect Core §3.1.2.4), per user and client. */
export interface ConsentStore {
  find(userId: string, clientId: string): Promise<ConsentRecord | null>
  /** Adds `scopes` to what the user allowed the client (creating the row); atomic. */
  grant(userId: string, clientId: string, scopes: readonly string[], at: string): Promise<void>
  /**
   * Forgets the consent and revokes the user's unrevoked token sessions of that client, in one
   * transaction; whether there was a consent.
   */
  revoke(userId: string, clientId: string, at: string): Promise<boolean>
  /** The user's consents, in client id order. */
  listForUser(userId: string): Promise<ConsentRecord[]>
  /** For copying: every consent after (`afterUserId`, `afterClientId`) in that order. */
  page(after: { userId: string; clientId: string } | null, limit: number): Promise<ConsentRecord[]>
  insertRecord(consent: ConsentRecord): Promise<void>
}
