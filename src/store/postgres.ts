import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { statusListener } from './invalidation-listener.js'
import { type Db, type Result, uniqueViolation } from './sql.js'
import { sqlStore } from './sql-store.js'
import { type PoolUse, type Store, StoreUnavailableError } from './store.js'

export interface PostgresOptions {
  poolSize: number
  /** Bound on waiting for a connection, and on one statement, in milliseconds. */
  timeoutMs: number
  /**
   * Test-only fault injection: called after each transaction's COMMIT succeeded. Throwing from
   * it acts like a connection lost before the COMMIT's reply arrived: the transaction is then
   * retried although it committed, which is what the store's transactions must survive.
   */
  afterCommit?: () => void
}

// Codes that mean "try again": serialization failure, deadlock, too many connections, the server
// shutting down or starting (57P01-57P03), and Node's connection errors.
const transientCodes = new Set([
  ...'40001 40P01 53300 57P01 57P02 57P03'.split(' '),
  ...'ECONNRESET ECONNREFUSED EPIPE ETIMEDOUT ENOTFOUND'.split(' '),
])

type PgError = { code?: string; constraint?: string; message?: string }

/** True when retrying the same statement may succeed. */
function isTransient(error: unknown): boolean {
  const e = error as PgError
  // 08xxx: connection exceptions.
  if (e.code && (transientCodes.has(e.code) || e.code.startsWith('08'))) return true
  // A timeout is not transient here: retrying it would multiply the documented wait.
  return /Connection terminated unexpectedly|Client has encountered a connection error/.test(
    e.message ?? '',
  )
}

// The row shape both engines share (see sql.ts), decoded here once for every query of the pool.
const { builtins, getTypeParser } = pg.types
const parseDate = getTypeParser(builtins.TIMESTAMPTZ) as (text: string) => Date
const parsers = new Map<number, (text: string) => unknown>([
  [builtins.TIMESTAMPTZ, (text) => parseDate(text).toISOString()],
  [builtins.BOOL, (text) => (text === 't' ? 1 : 0)],
  [builtins.INT8, Number],
])
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    parsers.get(oid) ?? getTypeParser(oid, format)) as typeof getTypeParser,
}

/**
 * The driver over a connection pool. Calls retry transient failures (connection reset or
 * refused, serialization failure, deadlock, server restarting) twice with a short backoff, and
 * map every other failure, or the last one, to the Store's errors. A timeout is not retried, so
 * a request waits at most one connection timeout plus one statement timeout plus the backoff.
 */
function createPgDriver(url: string, options: PostgresOptions): Db & { poolUse: () => PoolUse } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    // The server also gives up, so an abandoned statement does not keep running there.
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    types,
  })
  // An idle client losing its connection (e.g. the server restarting) must not crash the
  // process; the next checkout opens a fresh connection.
  pool.on('error', () => {})

  async function attempt<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn()
      } catch (error) {
        if (i < 2 && isTransient(error)) {
          await sleep(50 * (i + 1))
          continue
        }
        // The Store's errors: unique violations by column, the rest unavailable.
        const { code, constraint } = error as PgError
        if (code === '23505') throw uniqueViolation(constraint)
        throw new StoreUnavailableError('postgres operation failed', { cause: error })
      }
    }
  }
  const result = <R>(r: pg.QueryResult): Result<R> => ({ rows: r.rows, count: r.rowCount ?? 0 })

  return {
    dialect: 'postgres',
    retriesCommitted: true,
    query: <T>(text: string, values: readonly unknown[] = [], shape = (r: Result) => r as T) =>
      attempt(async () => shape(result(await pool.query(text, [...values])))),
    transaction: (body) =>
      attempt(async () => {
        const client = await pool.connect()
        let failure: Error | undefined
        try {
          await client.query('BEGIN')
          const steps = body()
          let step = steps.next()
          while (!step.done) {
            const { text, values, script } = step.value
            step = steps.next(result(await client.query(text, script ? undefined : [...values])))
          }
          await client.query('COMMIT')
          options.afterCommit?.()
          return step.value
        } catch (error) {
          failure = error as Error
          await client.query('ROLLBACK').catch(() => {})
          throw error
        } finally {
          // A client that failed mid-transaction is discarded, not returned to the pool.
          client.release(failure)
        }
      }),
    close: async () => {
      if (!pool.ended) await pool.end()
    },
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  }
}

/**
 * Opens the PostgreSQL store over a connection pool, without migrating it (`openStore` does).
 * Failures follow createPgDriver: transient ones retried, the rest StoreUnavailableError (HTTP
 * 503), unique violations naming their column. `statusChanges` is the LISTEN/NOTIFY feed of
 * committed status changes: its own connection, opened only once something subscribes (the
 * status cache), closed with the store.
 */
export function openPostgresStore(url: string, options: PostgresOptions): Store {
  const driver = createPgDriver(url, options)
  const store = sqlStore(driver, [])
  const statusChanges = statusListener(url, { timeoutMs: options.timeoutMs })
  return {
    ...store,
    poolUse: driver.poolUse,
    statusChanges,
    close: async () => {
      await statusChanges.close()
      await store.close()
    },
  }
}
