import { openSqliteStore } from './sqlite.js'
import type { Store } from './store.js'

/** Opens the store named by a database URL (`sqlite:<path>` or `sqlite::memory:`), migrated. */
export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length))
  throw new Error(`unsupported database URL scheme: ${databaseUrl.split(':')[0]}`)
}
