import { startKeyReload, startPurging } from './auth/housekeeping.js'
import type { Services } from './services.js'

/** The process's background work, started once it listens. */
export interface Timers {
  /** Clears the timers and resolves once the mail sender's delivery in flight is settled. */
  stop(): Promise<void>
}

/**
 * Starts the purge (every PORTCULLIS_PURGE_INTERVAL), the key-ring reload (every
 * PORTCULLIS_KEY_RELOAD_SECONDS) and the mail sender (every PORTCULLIS_MAIL_POLL_SECONDS);
 * failures are logged, never thrown. The timers do not keep the process alive; shutdown awaits
 * `stop` before it closes the store. Without `housekeeping` (a cluster worker other than the
 * housekeeper) only the key reload runs: every process's key ring must see a rotation, while
 * the purge and the mail sender need one process each per server.
 */
export function startTimers(services: Services, { housekeeping = true } = {}): Timers {
  const { config, logs } = services
  const keyReload = startKeyReload(
    services.keyring,
    config.keys.reloadSeconds * 1000,
    (error) => logs.app.error({ err: error }, 'signing key reload failed'),
    { cost: () => services.store.users.maxLegacyCost(), hasher: services.hasher },
  )
  if (!housekeeping) return { stop: async () => keyReload.stop() }
  const purge = startPurging(
    {
      sessions: services.sessions,
      machineTokens: services.machineTokens,
      audit: services.audit,
      auditRetentionDays: config.housekeeping.auditRetentionDays,
      throttle: services.throttle,
      mail: { store: services.store, clock: services.clock },
      authorization: { store: services.store, clock: services.clock },
      mfa: { store: services.store, clock: services.clock },
    },
    config.housekeeping.purgeIntervalSeconds * 1000,
    (error) => logs.app.error({ err: error }, 'purge failed'),
  )
  // Production never prints mail: without SMTP (allowed only with the email flows off) messages
  // left from when the flows were on stay queued, visible in `portcullis mail status`.
  const printsMail = config.mail.delivery.smtpUrl === null && config.env === 'production'
  if (printsMail) {
    logs.app.warn('PORTCULLIS_SMTP_URL is not set: the mail sender does not run in production')
  } else {
    services.mailSender.start()
  }
  return {
    async stop() {
      purge.stop()
      keyReload.stop()
      await services.mailSender.stop()
    },
  }
}
