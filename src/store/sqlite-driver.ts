import type Database from 'better-sqlite3'
import { type Body, type Db, drive, type Result, type Statement } from './sql.js'
import { StoreUnavailableError, UniqueViolationError } from './store.js'

function storeError(error: unknown): Error {
  const e = error as { code?: string; message?: string }
  if (e.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreUnavailableError('sqlite operation failed', { cause: error })
  }
  if (e.message?.includes('users.username')) return new UniqueViolationError('username')
  if (e.message?.includes('users.email_canonical')) return new UniqueViolationError('email')
  return new UniqueViolationError('id')
}

/**
 * Runs a synchronous driver call as a promise: a unique violation becomes UniqueViolationError,
 * any other failure (disk full, corrupt file, closed handle) StoreUnavailableError.
 */
function guard<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(storeError(error))
  }
}

/** A SQLite database behind the one driver interface, plus a synchronous runner for opening. */
export interface SqliteDb extends Db {
  /** Runs `body` in one `BEGIN IMMEDIATE` transaction now; throws the driver's own errors. */
  transactionSync<T>(body: () => Body<T>): T
}

/**
 * The driver over better-sqlite3. Each SQL text is prepared once and its statement reused; `$n`
 * placeholders are SQLite named parameters, bound from `{ n: value }`; booleans bind as 1/0.
 * better-sqlite3 is synchronous: each call is one short indexed statement, so it does not hold
 * the event loop long enough to matter (measured in `npm run bench`).
 */
export function sqliteDriver(db: Database.Database): SqliteDb {
  const statements = new Map<string, Database.Statement>()
  const run = ({ text, values, script }: Statement): Result => {
    if (script) {
      db.exec(text)
      return { rows: [], count: 0 }
    }
    let statement = statements.get(text)
    if (!statement) {
      statement = db.prepare(text)
      statements.set(text, statement)
    }
    const params: Record<number, unknown> = {}
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      params[i + 1] = typeof v === 'boolean' ? Number(v) : v
    }
    if (statement.reader) {
      const rows = statement.all(params) as Record<string, unknown>[]
      return { rows, count: rows.length }
    }
    return { rows: [], count: statement.run(params).changes }
  }
  const transactionSync = <T>(body: () => Body<T>): T =>
    db.transaction(() => drive(body(), run)).immediate()
  return {
    dialect: 'sqlite',
    retriesCommitted: false,
    query: <R>(text: string, values: readonly unknown[] = []) =>
      guard(() => run({ text, values }) as Result<R>),
    transaction: (body) => guard(() => transactionSync(body)),
    transactionSync,
    close: async () => {
      if (db.open) db.close()
    },
  }
}
