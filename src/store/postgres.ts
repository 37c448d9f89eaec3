import { createPgDriver, type PostgresOptions } from './pg-driver.js'
import { sqlStore } from './sql-store.js'
import type { Store } from './store.js'

/**
 * Opens the PostgreSQL store over a connection pool, without migrating it (`openStore` does).
 * Failures follow createPgDriver: transient ones retried, the rest StoreUnavailableError (HTTP
 * 503), unique violations naming their column.
 */
export function openPostgresStore(url: string, options: PostgresOptions): Store {
  return sqlStore(createPgDriver(url, options), [])
}
