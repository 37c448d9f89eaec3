import type { KeyringOptions } from '../auth/keys.js'
import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  int,
  intVariable,
  oneOf,
  type Row,
  row,
  textVariable,
  variable,
} from './define.js'
import type { NodeEnv } from './server.js'

/**
 * The signing keys: the Keyring's options (its sealer is built from `encryptionKey`), how often
 * each instance re-reads them, and whether production may store them in clear.
 */
export interface KeysConfig extends Omit<KeyringOptions, 'sealer'> {
  reloadSeconds: number
  /** 32-byte AES-256-GCM key sealing private keys and server secrets at rest, or null. */
  encryptionKey: Buffer | null
  /** PORTCULLIS_ALLOW_UNENCRYPTED_KEYS: production may run without `encryptionKey`. */
  allowUnencrypted: boolean
}

const alg = textVariable('PORTCULLIS_SIGNING_ALG', 'ES256', 'PORTCULLIS_JWT_ALG')
const secret = variable('PORTCULLIS_JWT_SECRET', 'none')
const publish = intVariable('PORTCULLIS_KEY_PUBLISH_SECONDS', 900, 0, 30 * 86400)
const rotationDays = intVariable('PORTCULLIS_KEY_ROTATION_DAYS', 0, 0, 3650, '`0` (off)')
const reload = intVariable('PORTCULLIS_KEY_RELOAD_SECONDS', 30, 1, 3600)
const encryptionKey = variable('PORTCULLIS_KEY_ENCRYPTION_KEY', 'none')
const allowUnencrypted = boolVariable('PORTCULLIS_ALLOW_UNENCRYPTED_KEYS', false)

export const keyRows: Row[] = [
  row(alg, "`ES256`, `EdDSA` (Ed25519), or `HS256` for the tutorial's shared-secret setup"),
  row(
    secret,
    'HS256 mode only: at least 32 bytes; placeholders such as `your_secret_key` are refused. Only HS256 is then accepted (never mixed with asymmetric algorithms) and the JWKS is empty',
  ),
  row(
    publish,
    'How long `keys rotate` (and automatic rotation) publish a new key before it signs: longer than verifiers cache the JWKS',
  ),
  row(rotationDays, 'Rotate the signing key automatically when it is this old'),
  row(
    reload,
    'How often each instance re-reads the key ring (keys added elsewhere are published within this)',
  ),
  row(
    encryptionKey,
    '32 bytes, base64 (`openssl rand -base64 32`): private signing keys, server secrets and TOTP secrets are encrypted at rest with AES-256-GCM, each bound to its row. Required in production. A secret found in clear while it is set stops the start: run `portcullis keys seal` once',
  ),
  row(
    allowUnencrypted,
    '`true` lets production start without `PORTCULLIS_KEY_ENCRYPTION_KEY`, storing private keys and secrets in clear (start-up warns)',
  ),
]

// Values people paste from tutorials and examples; a deployment must never run with them.
const placeholder = /secret|change|your|example|placeholder|password|default|^(.)\1+$/i

function signing(env: Env): Pick<KeysConfig, 'alg' | 'sharedSecret'> {
  // PORTCULLIS_JWT_ALG is the tutorial-friendly alias of PORTCULLIS_SIGNING_ALG.
  const name = alg.alias && env[alg.alias] ? alg.alias : alg.name
  const value = oneOf(env, alg, ['ES256', 'EdDSA', 'HS256'] as const, name)
  const raw = env[secret.name]
  if (value !== 'HS256') {
    if (raw)
      throw new ConfigError('PORTCULLIS_JWT_SECRET is only used with PORTCULLIS_JWT_ALG=HS256')
    return { alg: value, sharedSecret: undefined }
  }
  if (!raw || Buffer.byteLength(raw) < 32) {
    throw new ConfigError(
      'PORTCULLIS_JWT_SECRET must be at least 32 bytes when PORTCULLIS_JWT_ALG=HS256',
    )
  }
  if (placeholder.test(raw)) {
    throw new ConfigError(
      'PORTCULLIS_JWT_SECRET looks like a placeholder: generate one with `openssl rand -base64 48`',
    )
  }
  return { alg: value, sharedSecret: raw }
}

function sealing(env: Env, nodeEnv: NodeEnv) {
  const allow = bool(env, allowUnencrypted)
  const raw = env[encryptionKey.name]
  if (!raw) {
    // A database backup or a copied file must not hand out the signing keys (ASVS 11.1.x, 13.3).
    if (nodeEnv === 'production' && !allow) {
      throw new ConfigError(
        'PORTCULLIS_KEY_ENCRYPTION_KEY must be set when NODE_ENV=production (`openssl rand -base64 32`), or PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true to store private keys and secrets in clear',
      )
    }
    return { encryptionKey: null, allowUnencrypted: allow }
  }
  const key = Buffer.from(raw, 'base64')
  if (key.length !== 32) {
    throw new ConfigError(
      'PORTCULLIS_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (`openssl rand -base64 32`)',
    )
  }
  return { encryptionKey: key, allowUnencrypted: allow }
}

/** Reads the keys section; `tokenTtlSeconds` is the access-token lifetime, read with the tokens. */
export function readKeys(env: Env, nodeEnv: NodeEnv, tokenTtlSeconds: number): KeysConfig {
  return {
    ...signing(env),
    tokenTtlSeconds,
    publishSeconds: int(env, publish),
    rotationSeconds: int(env, rotationDays) * 86400,
    reloadSeconds: int(env, reload),
    ...sealing(env, nodeEnv),
  }
}
