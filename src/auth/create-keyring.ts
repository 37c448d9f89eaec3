import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
import { KeySealer } from './key-sealer.js'
import { Keyring, type KeyringOptions } from './keys.js'

/** The configuration's keys section, as far as the key ring reads it. */
export type KeyringSection = Omit<KeyringOptions, 'sealer'> & { encryptionKey: Buffer | null }

/**
 * The key ring of the server and of the CLI, from the configuration's keys section: one way to
 * build it, so both seal, publish and expire keys alike. Not loaded yet.
 */
export function createKeyring(section: KeyringSection, store: Store, clock: Clock): Keyring {
  const { alg, tokenTtlSeconds, publishSeconds, rotationSeconds, sharedSecret } = section
  const sealer = new KeySealer(section.encryptionKey)
  return new Keyring(
    store,
    { alg, tokenTtlSeconds, publishSeconds, rotationSeconds, sealer, sharedSecret },
    clock,
  )
}
