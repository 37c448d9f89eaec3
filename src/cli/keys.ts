import { KeySealer } from '../auth/key-sealer.js'
import { Keyring } from '../auth/keys.js'
import { systemClock } from '../clock.js'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'
import { CliError, type Command, println } from './command.js'
import { intOption } from './options.js'

/** The server's key ring over `store`, loaded, as the CLI sees it. */
async function loadKeyring(config: Config, store: Store): Promise<Keyring> {
  if (config.jwtSecret !== undefined) {
    throw new CliError('the HS256 mode has one shared secret and no key ring')
  }
  const keyring = new Keyring(
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
  await keyring.load()
  return keyring
}

const rotateCommand: Command = {
  name: 'keys rotate',
  summary: 'add a signing key: published now, signing after a delay',
  help: `usage: portcullis keys rotate [--activate-in SECONDS]

Adds a signing key, published in the JWKS at once and signing after the delay (default
PORTCULLIS_KEY_PUBLISH_SECONDS), so verifiers that cache the JWKS see it before any token
carries it. Prints the new key id.`,
  options: { 'activate-in': { type: 'string' } },
  needs: 'store',
  async run({ values, config, store, io }) {
    const delay = intOption(values, 'activate-in', config.keys.publishSeconds, 0, 31_536_000)
    const keyring = await loadKeyring(config, store)
    const kid = await keyring.rotate(delay)
    println(io.stdout, kid)
    println(
      io.stderr,
      `published now; signs from ${new Date(Date.now() + delay * 1000).toISOString()}`,
    )
    return 0
  },
}

const listCommand: Command = {
  name: 'keys list',
  summary: 'the key ring: next, active and retired keys',
  help: `usage: portcullis keys list

Prints each signing key: id, algorithm, state (next, active, retired), when it starts signing
and, for a retired key, until when tokens it signed still verify.`,
  needs: 'store',
  async run({ config, store, io }) {
    const keyring = await loadKeyring(config, store)
    for (const k of keyring.states()) {
      const until = k.removedAt ? `  verifies until ${k.removedAt}` : ''
      println(io.stdout, `${k.kid}  ${k.alg}  ${k.state.padEnd(7)}  from ${k.activatesAt}${until}`)
    }
    return 0
  },
}

export const keyCommands = [rotateCommand, listCommand]
