import { systemClock } from '../clock.js'
import { type Config, loadConfig } from '../config.js'
import { createServices, type Services } from '../services.js'
import { openStore } from '../store/open-store.js'
import type { Store } from '../store/store.js'
import type { Command } from './command.js'

/** What a command runs against; `close` releases the store. */
export interface CliContext {
  config?: Config
  store?: Store
  services?: Services
  close(): Promise<void>
}

/**
 * Opens what the command needs, from the same PORTCULLIS_* variables as the server: its
 * configuration, its (migrated) store, or every service the server builds on them.
 */
export async function openContext(needs: Command['needs']): Promise<CliContext> {
  if (needs === 'nothing') return { close: async () => {} }
  const config = loadConfig()
  if (needs === 'config') return { config, close: async () => {} }
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  const close = () => store.close()
  if (needs === 'store') return { config, store, close }
  try {
    const services = await createServices(config, store, systemClock)
    return { config, store: services.store, services, close }
  } catch (error) {
    await close()
    throw error
  }
}
