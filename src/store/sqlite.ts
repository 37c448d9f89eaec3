import Database from 'better-sqlite3'
import { createPrivately, tightenCreated } from './file-modes.js'
import {
  type Body,
  type Db,
  type Result,
  type Row,
  type Statement,
  uniqueViolation,
} from './sql.js'
import { migrate, sqlStore } from './sql-store.js'
import { type Store, StoreUnavailableError } from './store.js'

/** A unique violation becomes UniqueViolationError, anything else StoreUnavailableError. */
function storeError(error: unknown): Error {
  const e = error as { code?: string; message?: string }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return uniqueViolation(e.message)
  }
  return new StoreUnavailableError('sqlite operation failed', { cause: error })
}

/** Runs a synchronous driver call as a promise, its failure (disk full, closed handle…) mapped. */
function guard<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(storeError(error))
  }
}

/**
 * The driver over better-sqlite3. Each SQL text is prepared once and its statement reused;
 * booleans bind as 1/0. better-sqlite3 is synchronous: each call is one short indexed statement, so it does not hold
 * the event loop long enough to matter (measured in `npm run bench`).
 */
function sqliteDriver(db: Database.Database) {
  const statements = new Map<string, { statement: Database.Statement; order: number[] }>()
  const run = ({ text, values, script }: Statement): Result => {
    if (script) {
      db.exec(text)
      return { rows: [], count: 0 }
    }
    let prepared = statements.get(text)
    if (!prepared) {
      // `$n` (outside string literals) becomes `?`, bound by position: cheaper than by name.
      const order: number[] = []
      const positional = text.replace(/'(?:[^']|'')*'|\$(\d+)/g, (match, n?: string) => {
        if (n === undefined) return match
        order.push(Number(n) - 1)
        return '?'
      })
      prepared = { statement: db.prepare(positional), order }
      statements.set(text, prepared)
    }
    const { statement, order } = prepared
    const params: unknown[] = []
    for (const i of order) params.push(values[i] === true ? 1 : values[i] === false ? 0 : values[i])
    if (!statement.reader) return { rows: [], count: statement.run(...params).changes }
    const rows = statement.all(...params) as Row[]
    return { rows, count: rows.length }
  }
  const transactionSync = <T>(body: () => Body<T>): T =>
    db
      .transaction(() => {
        const steps = body()
        let step = steps.next()
        while (!step.done) step = steps.next(run(step.value))
        return step.value
      })
      .immediate()
  return {
    dialect: 'sqlite',
    retriesCommitted: false,
    query: <T>(text: string, values: readonly unknown[] = [], shape = (r: Result) => r as T) =>
      guard(() => shape(run({ text, values }))),
    transaction: (body) => guard(() => transactionSync(body)),
    transactionSync,
    close: async () => {
      if (db.open) db.close()
    },
  } satisfies Db & { transactionSync: typeof transactionSync }
}

/**
 * Opens and migrates the embedded SQLite store (WAL mode). `path` is a file path or ':memory:'.
 * A new database is created private to the server's user: its directory 0700, its files 0600.
 */
export function openSqliteStore(path: string): Store {
  const created = path !== ':memory:' && createPrivately(path)
  const db = new Database(path)
  for (const p of ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000'])
    db.pragma(p)
  db.pragma('foreign_keys = ON')
  const driver = sqliteDriver(db)
  const appliedAtOpen = driver.transactionSync(() => migrate(driver))
  if (created) tightenCreated(path)
  return sqlStore(driver, appliedAtOpen)
}
