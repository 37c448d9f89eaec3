import { openSqliteStore } from './sqlite.js'
import type { Store } from './store.js'

export interface OpenStoreOptions {
  poolSize: number
  timeoutMs: number
}

/** The file of a `sqlite:<path>` database URL; null for `sqlite::memory:` and PostgreSQL. */
export function sqliteFilePath(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('sqlite:')) return null
  const path = databaseUrl.slice('sqlite:'.length)
  return path === ':memory:' ? null : path
}

/**
 * Opens and migrates the store named by a database URL: `sqlite:<path>`, `sqlite::memory:`,
 * or `postgres://…` / `postgresql://…`. `appliedAtOpen` on the result says what migrating did.
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length))
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Loaded only for PostgreSQL: a SQLite start need not pay for the pg driver.
    const { openPostgresStore } = await import('./postgres.js')
    const store = openPostgresStore(databaseUrl, options)
    try {
      return { ...store, appliedAtOpen: await store.migrate() }
    } catch (error) {
      await store.close()
      throw error
    }
  }
  throw new Error(`unsupported database URL scheme: ${databaseUrl.split(':')[0]}`)
}
