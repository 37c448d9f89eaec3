/**
 * The one driver interface both engines implement, so each table's SQL is written once. SQL
 * texts use PostgreSQL's `$1 … $n` placeholders, which SQLite also reads (as named parameters);
 * values arrive decoded to one row shape on both engines: timestamps as ISO-8601 text, booleans
 * as 1/0, counts as numbers.
 */

export type Dialect = 'sqlite' | 'postgres'
export type Row = Record<string, unknown>

/** A statement's rows (of a SELECT or RETURNING) and how many rows it returned or changed. */
export interface Result<R = Row> {
  rows: R[]
  count: number
}

/** One statement of a transaction body; `script`: several statements without parameters. */
export interface Statement {
  text: string
  values: readonly unknown[]
  script?: boolean
}

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
export function* script(text: string): Generator<Statement, void, Result> {
  yield { text, values: [], script: true }
}

export interface Db {
  readonly dialect: Dialect
  /**
   * Whether a transaction may run again after its COMMIT succeeded (PostgreSQL retries one whose
   * reply was lost): bodies that must not count such a retry as a second call check for it.
   */
  readonly retriesCommitted: boolean
  /**
   * Runs one statement. Fails with UniqueViolationError naming the column, or
   * StoreUnavailableError for anything else the database refuses or cannot do.
   */
  query<R = Row>(text: string, values?: readonly unknown[]): Promise<Result<R>>
  /** Runs `body` in one write transaction, with the errors of `query`. */
  transaction<T>(body: () => Body<T>): Promise<T>
  close(): Promise<void>
}

/** Both bodies' way to run a generator: each yielded statement gets `run`'s result back. */
export function drive<T>(body: Body<T>, run: (s: Statement) => Result): T {
  let step = body.next()
  while (!step.done) step = body.next(run(step.value))
  return step.value
}

/** The same as `drive`, for a driver whose statements answer asynchronously (PostgreSQL). */
export async function driveAsync<T>(
  body: Body<T>,
  run: (s: Statement) => Promise<Result>,
): Promise<T> {
  let step = body.next()
  while (!step.done) step = body.next(await run(step.value))
  return step.value
}

/** How many rows `text` changed (or returned). */
export const changes = async (db: Db, text: string, values?: readonly unknown[]) =>
  (await db.query(text, values)).count

/** Picks the SQL text of the engine, for the few statements where the dialects differ. */
export const pick = (db: { dialect: Dialect }, texts: Record<Dialect, string>) => texts[db.dialect]
