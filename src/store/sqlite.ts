import Database from 'better-sqlite3'
import { createPrivately, tightenCreated } from './file-modes.js'
import { migrate, sqlStore } from './sql-store.js'
import { sqliteDriver } from './sqlite-driver.js'
import type { Store } from './store.js'

/**
 * Opens and migrates the embedded SQLite store (WAL mode). `path` is a file path or ':memory:'.
 * A new database is created private to the server's user: its directory 0700, its files 0600.
 */
export function openSqliteStore(path: string): Store {
  const created = path !== ':memory:' && createPrivately(path)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  const driver = sqliteDriver(db)
  const appliedAtOpen = driver.transactionSync(() => migrate(driver))
  if (created) tightenCreated(path)
  return sqlStore(driver, appliedAtOpen)
}
