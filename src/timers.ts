import { startKeyReload, startPurging } from './auth/housekeeping.js'
import type { Services } from './services.js'

/** The process's background work, started once it listens. */
export interface Timers {
  stop(): void
}

/**
 * Starts the purge (every PORTCULLIS_PURGE_INTERVAL) and the key-ring reload (every
 * PORTCULLIS_KEY_RELOAD_SECONDS); failures are logged, never thrown. The timers do not keep the
 * process alive; `stop` clears both before shutdown closes the store.
 */
export function startTimers(services: Services): Timers {
  const { config, logs } = services
  const purge = startPurging(
    {
      sessions: services.sessions,
      machineTokens: services.machineTokens,
      audit: services.audit,
      auditRetentionDays: config.housekeeping.auditRetentionDays,
      throttle: services.throttle,
      mail: { store: services.store, clock: services.clock },
    },
    config.housekeeping.purgeIntervalSeconds * 1000,
    (error) => logs.app.error({ err: error }, 'purge failed'),
  )
  const keyReload = startKeyReload(
    services.keyring,
    config.keys.reloadSeconds * 1000,
    (error) => logs.app.error({ err: error }, 'signing key reload failed'),
    { cost: () => services.store.users.maxLegacyCost(), hasher: services.hasher },
  )
  return {
    stop() {
      purge.stop()
      keyReload.stop()
    },
  }
}
