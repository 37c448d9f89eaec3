import { UniqueViolationError } from './store.js'

/**
 * The one driver interface both engines implement, so each table's SQL is written once, with
 * PostgreSQL's `$1 … $n` placeholders (the SQLite driver rewrites them once per text). Values
 * arrive in one row shape on both engines: ISO-8601 text timestamps, 1/0 booleans, number counts.
 */

export type Row = Record<string, unknown>

/** A statement's rows (of a SELECT or RETURNING) and how many rows it returned or changed. */
export type Result<R = Row> = { rows: R[]; count: number }
/** One statement of a transaction body; `script`: several statements without parameters. */
export type Statement = { text: string; values: readonly unknown[]; script?: boolean }

/**
 * A transaction body: a generator that yields its statements and receives their results. Being
 * a generator, it cannot `await`: on SQLite it runs synchronously inside `BEGIN IMMEDIATE`, so
 * no other request's statement can slip into the transaction on the one shared connection.
 */
export type Body<T> = Generator<Statement, T, Result>

/** Inside a body: `const { rows } = yield* sql<R>(text, values)`. */
export function* sql<R = Row>(
  text: string,
  values: readonly unknown[] = [],
): Generator<Statement, Result<R>, Result> {
  return (yield { text, values }) as Result<R>
}

/** Inside a body: runs `text`, several statements without parameters (a migration). */
export function* script(text: string): Body<void> {
  yield { text, values: [], script: true }
}

export interface Db {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Whether a transaction may run again after its COMMIT succeeded (PostgreSQL retries one whose
   * reply was lost): bodies that must not count such a retry as a second call check for it.
   */
  readonly retriesCommitted: boolean
  /**
   * Runs one statement, and answers its result or what `shape` makes of it (inside the driver: no
   * extra promise on the hot path). Fails with UniqueViolationError (naming the column) or
   * StoreUnavailableError.
   */
  query<R = Row>(text: string, values?: readonly unknown[]): Promise<Result<R>>
  query<T>(
    text: string,
    values: readonly unknown[] | undefined,
    shape: (r: Result) => T,
  ): Promise<T>
  /** Runs `body` in one write transaction, feeding each statement's result back; errors as `query`. */
  transaction<T>(body: () => Body<T>): Promise<T>
  close(): Promise<void>
}

/**
 * The error of a violated unique constraint, by the name the engine gives it (`users.username`
 * on SQLite, `users_username_key` on PostgreSQL): the field is named for users, `id` elsewhere.
 */
export const uniqueViolation = (name = '') =>
  new UniqueViolationError(
    name.includes('username') ? 'username' : name.includes('email_canonical') ? 'email' : 'id',
  )

/** Shapes of a result: how many rows it changed (or returned), whether one, nothing. */
export const count = (r: Result) => r.count
export const one = (r: Result) => r.count === 1
export const nothing = (): void => undefined
