import { resolve } from 'node:path'
import type { OpenStoreOptions } from '../store/open-store.js'
import { ConfigError, type Env, int, intVariable, type Row, row, variable } from './define.js'

/** Where the data lives, how the store is opened, and how long statuses are cached. */
export interface StoreConfig {
  dataDir: string
  databaseUrl: string
  /** PostgreSQL pool size and the bound on waiting for a connection or a statement. */
  pool: OpenStoreOptions
  /** How long a user's status may be served from memory; the bound on disable/delete lag. */
  statusCacheMs: number
}

const dataDir = variable('PORTCULLIS_DATA_DIR', '`./data`')
const databaseUrl = variable('PORTCULLIS_DATABASE_URL', '`sqlite:<data dir>/portcullis.db`')
const poolSize = intVariable('PORTCULLIS_DB_POOL_SIZE', 10, 1, 1000)
const timeout = intVariable('PORTCULLIS_DB_TIMEOUT_MS', 2000, 100, 60_000)
const statusCache = intVariable('PORTCULLIS_STATUS_CACHE_MS', 1000, 0, 60_000)

export const storeRows: Row[] = [
  row(
    dataDir,
    'Where the embedded SQLite database lives. Created 0700, the database files 0600 (whatever the umask); start-up warns when an existing directory or file is open to group or others',
  ),
  row(
    databaseUrl,
    '`sqlite:<path>`, `sqlite::memory:`, or `postgres://user:pass@host:5432/db` for several instances',
  ),
  row(
    poolSize,
    "PostgreSQL connections in each process's pool; each process also holds one listening connection, and with `PORTCULLIS_WORKERS` each worker is a process: an instance uses `workers × (pool + 1)`",
  ),
  row(
    timeout,
    'PostgreSQL: longest wait for a connection, and for one statement; past it the request gets 503',
  ),
  row(
    statusCache,
    "How long a user's or session's status may be served from memory. Changes made through the server itself (logout, revocation, password change, account deletion) apply at once; on SQLite, changes made by another process (the CLI) within this bound. On PostgreSQL every change, from any instance, the CLI or SQL, evicts at once (LISTEN/NOTIFY; the bound is a backstop), and while the listening connection is down nothing is served from memory. `0` turns the cache off",
  ),
]

/** A database URL with its password masked, for messages. */
function masked(raw: string): string {
  try {
    const parsed = new URL(raw)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return raw.replace(/\/\/.*@/, '//***@')
  }
}

/** Reads the store section. */
export function readStore(env: Env): StoreConfig {
  const dir = resolve(env[dataDir.name] || 'data')
  const url = env[databaseUrl.name] || `sqlite:${resolve(dir, 'portcullis.db')}`
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(url)) {
    throw new ConfigError(
      `PORTCULLIS_DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://… (got "${masked(url)}")`,
    )
  }
  return {
    dataDir: dir,
    databaseUrl: url,
    pool: { poolSize: int(env, poolSize), timeoutMs: int(env, timeout) },
    // On PostgreSQL too: changes elsewhere arrive by LISTEN/NOTIFY (src/store/invalidation.ts).
    statusCacheMs: int(env, statusCache),
  }
}
