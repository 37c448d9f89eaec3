import { KeySealer } from '../../src/auth/key-sealer.js'
import { Keyring, type KeyringOptions, type SigningAlg } from '../../src/auth/keys.js'
import type { Clock } from '../../src/clock.js'
import type { Store } from '../../src/store/store.js'

/** A Keyring with the defaults the server uses (15-minute tokens, no automatic rotation). */
export function keyringFor(
  store: Store,
  alg: SigningAlg,
  clock: Clock,
  options: Partial<KeyringOptions> = {},
) {
  return new Keyring(
    store,
    {
      alg,
      tokenTtlSeconds: 900,
      publishSeconds: 900,
      rotationSeconds: 0,
      sealer: new KeySealer(null),
      ...options,
    },
    clock,
  )
}
