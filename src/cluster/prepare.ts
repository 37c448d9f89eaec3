import { type BootstrapLog, bootstrapAdmin } from '../auth/bootstrap-admin.js'
import { adminRole } from '../auth/roles.js'
import { systemClock } from '../clock.js'
import { type Config, ConfigError } from '../config.js'
import type { Loggers } from '../loggers.js'
import { createServices } from '../services.js'
import { openStore } from '../store/open-store.js'

/** What the primary learnt while preparing the database, for its start-up line. */
export interface Prepared {
  engine: string
  adminExists: boolean
}

/**
 * The one-time start-up work of a cluster, done by the primary before it forks, so that workers
 * starting together never race for it: open the store (which migrates it; on a new SQLite file
 * this also switches it to WAL), load the key ring (creating the first signing key and the
 * server secrets when there are none), create the bootstrap admin, then close the store again,
 * so the primary holds no database connection while the workers serve. Throws what runServer
 * throws for the same faults (ConfigError, KeySealError), and ConfigError for an in-memory
 * SQLite database, which each worker would have a private copy of.
 */
export async function prepareDatabase(
  config: Config,
  logs: Loggers,
  log: BootstrapLog,
): Promise<Prepared> {
  if (config.store.databaseUrl === 'sqlite::memory:') {
    throw new ConfigError(
      `PORTCULLIS_WORKERS=${config.workers.count} needs a database the workers share: a SQLite file or PostgreSQL, not sqlite::memory:`,
    )
  }
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  try {
    const services = await createServices(config, store, systemClock, logs)
    await bootstrapAdmin(services, log)
    // A hint for the start-up line, not a check: a hiccup here must not stop the start.
    const adminExists = await store.users.anyEnabledWithRole(adminRole).catch(() => true)
    return { engine: store.engine, adminExists }
  } finally {
    await store.close()
  }
}
