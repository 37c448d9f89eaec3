/**
 * The storage port. Shaped around Portcullis's own tables; every engine implements it and runs
 * the same contract suite (test/store/contract.ts). All SQL lives under src/store/.
 */

/** A row of `users`. `username` and `emailCanonical` are already canonical. */
export interface UserRecord {
  id: string
  username: string
  email: string | null
  emailCanonical: string | null
  fullName: string | null
  passwordHash: string
  disabled: boolean
  createdAt: string
  updatedAt: string
}

export type NewUser = Omit<UserRecord, 'disabled' | 'updatedAt'>

/** A row of `signing_keys`. JWKs are JSON text; the private one never leaves the server. */
export interface SigningKeyRecord {
  kid: string
  alg: string
  publicJwk: string
  privateJwk: string
  createdAt: string
  retiredAt: string | null
}

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

export interface UserStore {
  /** Inserts a user; throws UniqueViolationError naming the taken field. */
  create(user: NewUser): Promise<UserRecord>
  findById(id: string): Promise<UserRecord | null>
  findByUsername(username: string): Promise<UserRecord | null>
  findByEmail(emailCanonical: string): Promise<UserRecord | null>
  /** Replaces the password hash only if it is still `expected` (no lost update on rehash). */
  replacePasswordHash(id: string, expected: string, next: string, at: string): Promise<boolean>
  setDisabled(id: string, disabled: boolean, at: string): Promise<boolean>
  delete(id: string): Promise<boolean>
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
   * Inserts `key` only if no unretired key of its alg exists, atomically, so instances starting
   * together create one key between them. Returns whether it was inserted.
   */
  insertFirst(key: SigningKeyRecord): Promise<boolean>
  retire(kid: string, at: string): Promise<boolean>
}

/** The tables, in an order that respects references (copy in this order, clear in reverse). */
export const tableNames = ['users', 'signing_keys'] as const
export type TableName = (typeof tableNames)[number]

export interface Store {
  readonly engine: string
  readonly users: UserStore
  readonly signingKeys: SigningKeyStore
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /** Row counts of every table, for verifying a copy. */
  counts(): Promise<Record<TableName, number>>
  /** Deletes every row of every table (schema kept); only for `db copy --force`. */
  clear(): Promise<void>
  /** Applies pending migrations; returns the versions applied. */
  migrate(): Promise<number[]>
  close(): Promise<void>
}
