/**
 * The storage port. Shaped around Portcullis's own tables; every engine implements it and runs
 * the same contract suite (test/store/contract.ts). All SQL lives under src/store/.
 */

import type {
  AuthorizationCodeStore,
  BrowserSessionStore,
  ConsentStore,
} from './authorization-stores.js'
import type { StatusChanges } from './invalidation.js'
import type { EmailTokenStore, OutboxStore } from './mail-stores.js'
import type {
  MfaFactorStore,
  MfaTokenStore,
  RecoveryCodeStore,
  WebAuthnChallengeStore,
} from './mfa-stores.js'
import type {
  AuditFilter,
  AuditRecord,
  ClientRecord,
  CounterRecord,
  NewUser,
  RefreshTokenRecord,
  Reservation,
  RevokedTokenRecord,
  SecretChange,
  SecretRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
  UserSearch,
} from './records.js'

export type * from './authorization-stores.js'
export type * from './mail-stores.js'
export type * from './mfa-stores.js'
export type * from './records.js'

/** Thrown by `users.create` when a unique column is taken. */
export class UniqueViolationError extends Error {
  override name = 'UniqueViolationError'
  constructor(readonly field: 'username' | 'email' | 'id') {
    super(`${field} already exists`)
  }
}

/** Thrown when the database cannot be reached or fails; the HTTP layer answers 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}

/** What `users.deleteUnlessLastHolder` did. */
export type DeleteOutcome = 'deleted' | 'last_holder' | 'missing'

export interface UserStore {
  /** Inserts a user; throws UniqueViolationError naming the taken field. */
  create(user: NewUser): Promise<UserRecord>
  findById(id: string): Promise<UserRecord | null>
  findByUsername(username: string): Promise<UserRecord | null>
  findByEmail(emailCanonical: string): Promise<UserRecord | null>
  /** Replaces the password hash only if it is still `expected` (no lost update on rehash). */
  replacePasswordHash(id: string, expected: string, next: string, at: string): Promise<boolean>
  setDisabled(id: string, disabled: boolean, at: string): Promise<boolean>
  /** Marks the user's address verified (or not); returns whether the user exists. */
  setEmailVerified(id: string, verified: boolean, at: string): Promise<boolean>
  delete(id: string): Promise<boolean>
  /**
   * Deletes the user unless it holds one of `roles` and no other enabled user does, atomically:
   * concurrent calls never delete the last enabled holders between them. `roles` are the roles
   * that grant a scope that must never be left without a holder (the admin scope).
   */
  deleteUnlessLastHolder(id: string, roles: readonly string[]): Promise<DeleteOutcome>
  /** The highest bcrypt cost among legacy `$2a$/$2b$/$2y$` hashes, or null when none is left. */
  maxLegacyCost(): Promise<number | null>
  /** Replaces the user's roles; returns whether the user exists. */
  setRoles(id: string, roles: string[], at: string): Promise<boolean>
  /** Up to `limit` users matching `search`, in username order (for the admin API and CLI). */
  search(search: UserSearch): Promise<UserRecord[]>
  /** Whether some enabled user has `role` (the start-up line asks whether an admin exists). */
  anyEnabledWithRole(role: string): Promise<boolean>
  /**
   * Inserts each user unless its id, username or email is already taken (by a stored user or
   * an earlier one in `users`), in one transaction; returns, per user, whether it was inserted.
   * For `users import`: re-running an import inserts nothing.
   */
  importMany(users: NewUser[]): Promise<boolean[]>
  /** Up to `limit` users with id greater than `afterId`, in id order; for copying. */
  page(afterId: string | null, limit: number): Promise<UserRecord[]>
  /** Inserts a complete row as it is (disabled flag and timestamps included); for copying. */
  insertRecord(user: UserRecord): Promise<void>
}

export interface SigningKeyStore {
  /** Every key, newest first. */
  list(): Promise<SigningKeyRecord[]>
  insert(key: SigningKeyRecord): Promise<void>
  /**
   * Inserts `key` only if no unretired key of its alg activates at or after `since`, atomically,
   * so instances starting (or rotating) together create one key between them. Returns whether
   * it was inserted.
   */
  insertIfNoneSince(key: SigningKeyRecord, since: string): Promise<boolean>
  /**
   * Revokes the key `kid` unless it already is: sets its `retiredAt`, deletes its private half
   * (`privateJwk` null) and inserts `successor` if given, in one transaction. Returns whether
   * it revoked (false for an unknown or already revoked kid, and then nothing is inserted).
   */
  revoke(kid: string, at: string, successor: SigningKeyRecord | null): Promise<boolean>
}

/**
 * The tables, in an order that respects references (copy in this order, clear in reverse).
 * Short-lived rows are not copied: login counters, MFA tokens (minutes) and WebAuthn challenges.
 */
export const tableNames = [
  'users',
  'signing_keys',
  'server_secrets',
  'sessions',
  'refresh_tokens',
  'clients',
  'audit_events',
  'revoked_tokens',
  'email_tokens',
  'mail_outbox',
  'browser_sessions',
  'authorization_codes',
  'consents',
  'mfa_factors',
  'recovery_codes',
] as const
export type TableName = (typeof tableNames)[number]

export interface SessionStore {
  /** Inserts a session and its first refresh token (if any) in one transaction. */
  create(session: SessionRecord, firstTokenHash: string | null): Promise<void>
  findById(id: string): Promise<SessionRecord | null>
  /** The session and its user in one lookup: what every protected request checks. */
  findWithUser(id: string): Promise<{ session: SessionRecord; user: UserRecord } | null>
  /** Every session of the user, newest first (the caller filters live ones). */
  listForUser(userId: string): Promise<SessionRecord[]>
  /** Marks the session revoked unless it already is; returns whether it changed. */
  revoke(id: string, at: string): Promise<boolean>
  /**
   * Revokes every unrevoked session of the user except `exceptId`, and ends every browser
   * session of the user (whatever ends a user's sessions ends their provider login too), in one
   * transaction; returns how many token sessions it revoked.
   */
  revokeAllForUser(userId: string, at: string, exceptId: string | null): Promise<number>
  /**
   * Revokes every unrevoked session of the user signed in without a second factor (`amr` without
   * `mfa`) except `exceptId`, and ends the user's browser sessions signed in likewise, in one
   * transaction; returns how many token sessions it revoked. For a user who enrolls a factor: a
   * sign-in by the password alone must not outlive it (nor come back if the factor goes).
   */
  revokeSingleFactorForUser(userId: string, at: string, exceptId: string | null): Promise<number>
  /** Revokes every unrevoked session started through the client; returns how many. */
  revokeAllForClient(clientId: string, at: string): Promise<number>
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | null>
  /**
   * Spends the refresh token `hash` only if it is unspent, inserts its successor `nextHash` in the
   * same session, and moves the session's last use and idle expiry, in one transaction. Of any
   * number of concurrent callers with the same `hash`, exactly one gets 'rotated'.
   */
  rotate(
    hash: string,
    nextHash: string,
    at: string,
    idleExpiresAt: string,
  ): Promise<'rotated' | 'spent'>
  /** Deletes (with their tokens) up to `limit` sessions revoked or expired before `now`. */
  purge(now: string, limit: number): Promise<number>
  /** For copying: sessions after `afterId` in id order, and complete rows back in. */
  page(afterId: string | null, limit: number): Promise<SessionRecord[]>
  insertRecord(session: SessionRecord): Promise<void>
  /** For copying: refresh tokens after `afterHash` in hash order, and complete rows back in. */
  pageRefreshTokens(afterHash: string | null, limit: number): Promise<RefreshTokenRecord[]>
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>
}

/**
 * Counters for login throttling and rate limits, shared by every instance through the store.
 * Times are ISO-8601 strings (`toISOString`); a window is identified by its start. Every row
 * carries the time after which it may be deleted (`expiresAt`, never before its block ends).
 */
export interface CounterStore {
  /** Counts one event in the window starting at `windowStart` (a new window restarts at 1), atomically. */
  increment(key: string, windowStart: string, expiresAt: string): Promise<number>
  /**
   * Reserves one attempt, atomically (one statement): counts it unless the key is blocked at
   * `now` (and not `ignoreBlock`) or its window already holds `limit` events, and raises the
   * block to what the new count earns (never lowers it). Returns the new count, or null when
   * refused (nothing changed). Of any number of concurrent callers, at most `limit` succeed per
   * window, and none after one of them earned a block.
   */
  reserve(key: string, reservation: Reservation): Promise<number | null>
  /** Gives back one reserved event of the window `windowStart` (not the block it earned). */
  release(key: string, windowStart: string): Promise<void>
  get(key: string): Promise<CounterRecord | null>
  /** Refuses the key until `until`, or later if a longer block is already set. */
  block(key: string, until: string): Promise<void>
  reset(key: string): Promise<void>
  /** Deletes every counter whose key starts with `prefix` (all of an account's); how many. */
  resetPrefix(prefix: string): Promise<number>
  /** Deletes up to `limit` rows expired and unblocked at `now`; returns how many. */
  purge(now: string, limit: number): Promise<number>
  /** How many rows the counters hold. */
  size(): Promise<number>
}

export interface SecretStore {
  /** The secret named `name`, storing `candidate` first if there is none (atomic across instances). */
  getOrCreate(name: string, candidate: string, at: string): Promise<string>
  list(): Promise<SecretRecord[]>
  insert(secret: SecretRecord): Promise<void>
}

export interface ClientStore {
  /** Inserts a client; throws UniqueViolationError('id') when the client_id is taken. */
  create(client: ClientRecord): Promise<void>
  findById(id: string): Promise<ClientRecord | null>
  /** Every client, in id order (clients are few). */
  list(): Promise<ClientRecord[]>
  /** Replaces the secret hash; returns whether the client exists. */
  setSecretHash(id: string, secretHash: string | null, at: string): Promise<boolean>
  /** Deletes the client and every user's consent to it, in one transaction; whether it existed. */
  delete(id: string): Promise<boolean>
}

/**
 * Revoked access tokens that have no session to end (client_credentials, RFC 7009 §2), by
 * `jti`, kept until the token would expire anyway; shared by every instance through the store.
 */
export interface RevokedTokenStore {
  /** Records `jti` as revoked until `expiresAt`; adding it again changes nothing. */
  add(jti: string, expiresAt: string): Promise<void>
  /** Whether `jti` is recorded as revoked. */
  has(jti: string): Promise<boolean>
  /** Deletes up to `limit` entries whose token expired before `now`; returns how many. */
  purge(now: string, limit: number): Promise<number>
  /** For copying: entries after `afterJti` in jti order. */
  page(afterJti: string | null, limit: number): Promise<RevokedTokenRecord[]>
}

export interface AuditStore {
  insert(record: AuditRecord): Promise<void>
  /** Up to `filter.limit` records matching the filter, newest (highest id) first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>
  /** Deletes up to `limit` records older than `before`; returns how many. */
  purge(before: string, limit: number): Promise<number>
  /** For copying: records after `afterId` in id order. */
  page(afterId: string | null, limit: number): Promise<AuditRecord[]>
}

export interface Store {
  readonly engine: string
  readonly users: UserStore
  readonly signingKeys: SigningKeyStore
  readonly sessions: SessionStore
  readonly secrets: SecretStore
  readonly counters: CounterStore
  readonly clients: ClientStore
  readonly audit: AuditStore
  readonly revokedTokens: RevokedTokenStore
  readonly emailTokens: EmailTokenStore
  readonly outbox: OutboxStore
  readonly authorizationCodes: AuthorizationCodeStore
  readonly browserSessions: BrowserSessionStore
  readonly consents: ConsentStore
  readonly mfaFactors: MfaFactorStore
  readonly recoveryCodes: RecoveryCodeStore
  readonly mfaTokens: MfaTokenStore
  readonly webauthnChallenges: WebAuthnChallengeStore
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /** Row counts of every table, for verifying a copy. */
  counts(): Promise<Record<TableName, number>>
  /** Deletes every row of every table (schema kept); only for `db copy --force`. */
  clear(): Promise<void>
  /**
   * In one transaction, sets each secret of `changes` to its `next` value where it still holds
   * its `expected` one; returns how many changed. For `keys seal`.
   */
  replaceSecrets(changes: SecretChange[]): Promise<number>
  /** Applies pending migrations; returns the versions applied. */
  migrate(): Promise<number[]>
  /**
   * The migration versions that opening this store applied, in order; empty when the database
   * was current (or the store was opened without migrating).
   */
  readonly appliedAtOpen: readonly number[]
  /**
   * Set by the status cache (`withStatusCache`): what `sessions.findWithUser(id)` would answer,
   * synchronously, while the cache holds it fresh; undefined otherwise (then ask `sessions`).
   * The same entry and freshness rule as the cached `findWithUser`, without its promise: the
   * per-request token check runs without a microtask on a hit.
   */
  readonly cachedSessionWithUser?: (
    id: string,
  ) => { session: SessionRecord; user: UserRecord } | null | undefined
  /** PostgreSQL only: the connection pool's use now (read by the metrics at each scrape). */
  readonly poolUse?: () => PoolUse
  /**
   * Changes committed by any process, as they commit (PostgreSQL: LISTEN/NOTIFY); absent where
   * the engine cannot announce them (SQLite). The status cache follows it.
   */
  readonly statusChanges?: StatusChanges
  close(): Promise<void>
}

/** A connection pool's clients: open, idle among them, and callers waiting for one. */
export interface PoolUse {
  total: number
  idle: number
  waiting: number
}
