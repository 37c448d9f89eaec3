import { AuditService, cliActor } from '../auth/audit.js'
import { createKeyring } from '../auth/create-keyring.js'
import { revokeSigningKey } from '../auth/key-revocation.js'
import { KeySealer } from '../auth/key-sealer.js'
import type { Keyring } from '../auth/keys.js'
import { sealStoredSecrets } from '../auth/server-secrets.js'
import { systemClock } from '../clock.js'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'
import { CliError, type Command, println } from './command.js'
import { intOption } from './options.js'

/**
 * The server's key ring over `store`, not loaded yet. It never rotates on its own: automatic
 * rotation is the running server's job, and the CLI does only what it is asked.
 */
function keyringOf(config: Config, store: Store): Keyring {
  if (config.keys.sharedSecret !== undefined) {
    throw new CliError('the HS256 mode has one shared secret and no key ring')
  }
  return createKeyring({ ...config.keys, rotationSeconds: 0 }, store, systemClock)
}

/** The key ring, loaded; creating the first key unless `create` is false (`keys list`). */
async function loadKeyring(config: Config, store: Store, create = true): Promise<Keyring> {
  const keyring = keyringOf(config, store)
  await keyring.load({ create })
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
and, for a retired key, until when tokens it signed still verify. Only reads: on a database
without keys it prints nothing (the server creates the first key when it starts).`,
  needs: 'store',
  async run({ config, store, io }) {
    const keyring = await loadKeyring(config, store, false)
    for (const k of keyring.states()) {
      const until = k.removedAt ? `  verifies until ${k.removedAt}` : ''
      println(io.stdout, `${k.kid}  ${k.alg}  ${k.state.padEnd(7)}  from ${k.activatesAt}${until}`)
    }
    return 0
  },
}

const revokeCommand: Command = {
  name: 'keys revoke',
  summary: 'withdraw a leaked signing key at once',
  help: `usage: portcullis keys revoke KID

Revokes a signing key (a leaked one): it leaves the JWKS and tokens it signed stop verifying,
on every instance within PORTCULLIS_KEY_RELOAD_SECONDS; its private half is deleted. If it was
the signing key, a new key signs from now on. Writes a key.revoke audit record. Users holding
tokens signed by it log in again (their refresh tokens keep working).`,
  args: ['KID'],
  needs: 'store',
  async run({ positionals, config, store, io }) {
    const kid = positionals[0] ?? ''
    const audit = new AuditService(store.audit, systemClock)
    const result = await revokeSigningKey(keyringOf(config, store), audit, kid, cliActor)
    // The kid is not echoed unless it matched a stored one: it is whatever was typed.
    if (!result)
      throw new CliError('no unrevoked signing key has that id (see portcullis keys list)')
    println(io.stdout, `revoked ${kid}`)
    if (result.successor) println(io.stdout, `signing now with ${result.successor}`)
    println(
      io.stderr,
      `every instance refuses its tokens within PORTCULLIS_KEY_RELOAD_SECONDS (${config.keys.reloadSeconds} s)`,
    )
    return 0
  },
}

const sealCommand: Command = {
  name: 'keys seal',
  summary: 'encrypt the stored private keys, server secrets and TOTP secrets',
  help: `usage: portcullis keys seal

Encrypts every private signing key, server secret and TOTP secret stored in clear (and
re-encrypts those sealed by older versions, without their row binding) with
PORTCULLIS_KEY_ENCRYPTION_KEY, in one transaction. Run it once after setting the key: the server refuses to start while a secret is
in clear and the key is set. Running it again changes nothing.`,
  needs: 'store',
  async run({ config, store, io }) {
    if (!config.keys.encryptionKey) {
      throw new CliError('set PORTCULLIS_KEY_ENCRYPTION_KEY (`openssl rand -base64 32`) first')
    }
    const report = await sealStoredSecrets(store, new KeySealer(config.keys.encryptionKey))
    println(
      io.stdout,
      `sealed ${report.signingKeys} signing keys, ${report.secrets} server secrets and ${report.totpSecrets} TOTP secrets; ${report.unchanged} already sealed`,
    )
    return 0
  },
}

export const keyCommands = [rotateCommand, listCommand, revokeCommand, sealCommand]
