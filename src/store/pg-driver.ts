import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { isTransient, toStoreError } from './pg-errors.js'

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

/** Queries and transactions over a pool, with the store's retry and error mapping. */
export interface PgDriver {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>
  close(): Promise<void>
}

const retries = 2

/**
 * A connection pool whose calls retry transient failures (connection reset or refused,
 * serialization failure, deadlock, server restarting) twice with a short backoff, and map every
 * other failure, or the last one, to the Store's errors. A timeout is not retried, so a request
 * waits at most one connection timeout plus one statement timeout plus the backoff.
 */
export function createPgDriver(url: string, options: PostgresOptions): PgDriver {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    // The server also gives up, so an abandoned statement does not keep running there.
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
  })
  // An idle client losing its connection (e.g. the server restarting) must not crash the
  // process; the next checkout opens a fresh connection.
  pool.on('error', () => {})

  async function attempt<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn()
      } catch (error) {
        if (i < retries && isTransient(error)) {
          await sleep(50 * (i + 1))
          continue
        }
        throw toStoreError(error)
      }
    }
  }

  return {
    query: (text, values = []) => attempt(() => pool.query(text, values)),
    transaction: (fn) =>
      attempt(async () => {
        const client = await pool.connect()
        let failure: Error | undefined
        try {
          await client.query('BEGIN')
          const result = await fn(client)
          await client.query('COMMIT')
          options.afterCommit?.()
          return result
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
  }
}
