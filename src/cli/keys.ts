import { KeySealer } from '../auth/key-sealer.js'
import { Keyring } from '../auth/keys.js'
import { systemClock } from '../clock.js'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'

/** The server's key ring over `store`, as the CLI sees it. */
function keyringOf(config: Config, store: Store): Keyring {
  return new Keyring(
    store,
    {
      alg: config.signingAlg,
      tokenTtlSeconds: config.accessTokenTtlSeconds,
      publishSeconds: config.keys.publishSeconds,
      rotationSeconds: 0,
      sealer: new KeySealer(config.keys.encryptionKey),
      sharedSecret: config.jwtSecret,
    },
    systemClock,
  )
}

/**
 * `keys rotate [--activate-in SECONDS]` adds a key that is published now and signs after the
 * delay (default PORTCULLIS_KEY_PUBLISH_SECONDS); `keys list` shows the ring. Returns the exit code.
 */
export async function keysCommand(
  action: string | undefined,
  activateIn: string | undefined,
  config: Config,
  store: Store,
): Promise<number> {
  if (config.jwtSecret !== undefined) {
    console.error('portcullis keys: the HS256 mode has one shared secret and no key ring')
    return 1
  }
  const keyring = keyringOf(config, store)
  await keyring.load()
  if (action === 'rotate') {
    const delay = activateIn === undefined ? config.keys.publishSeconds : Number(activateIn)
    if (!Number.isInteger(delay) || delay < 0) {
      console.error('portcullis keys rotate: --activate-in must be a whole number of seconds')
      return 2
    }
    const kid = await keyring.rotate(delay)
    console.log(kid)
    console.error(`published now; signs from ${new Date(Date.now() + delay * 1000).toISOString()}`)
    return 0
  }
  if (action === 'list') {
    for (const k of keyring.states()) {
      const until = k.removedAt ? `  verifies until ${k.removedAt}` : ''
      console.log(`${k.kid}  ${k.alg}  ${k.state.padEnd(7)}  from ${k.activatesAt}${until}`)
    }
    return 0
  }
  console.error('portcullis keys: usage: keys rotate [--activate-in SECONDS] | keys list')
  return 2
}
