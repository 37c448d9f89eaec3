import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/** Sealed with the row's identity as additional authenticated data (the current format). */
const boundPrefix = 'enc:v2:'
/**
 * Sealed without additional data (written before v2). Only `keys seal` reads it (to reseal it
 * bound): not being bound to its row, such a value from an old backup could be moved to another
 * row, so `open` refuses it like a value in clear.
 */
const legacyPrefix = 'enc:v1:'

/** Thrown when a stored secret cannot be opened, or is in clear while it must be sealed. */
export class KeySealError extends Error {
  override name = 'KeySealError'
}

/** What a sealed value is bound to: the row it belongs in. */
export type SealContext =
  | `signing_keys/${string}`
  | `server_secrets/${string}`
  | `mfa_factors/${string}`

/** The context of a signing key's private half. */
export const signingKeyContext = (kid: string): SealContext => `signing_keys/${kid}`
/** The context of a server secret (e.g. the refresh-rotation key). */
export const serverSecretContext = (name: string): SealContext => `server_secrets/${name}`
/** The row of a TOTP factor's secret. */
export const mfaFactorContext = (id: string): SealContext => `mfa_factors/${id}`

/**
 * Encrypts server secrets at rest (private signing keys, the HMAC keys in `server_secrets`) with
 * AES-256-GCM under a 32-byte key from the environment (`PORTCULLIS_KEY_ENCRYPTION_KEY`).
 *
 * Security invariants: each value is sealed with its row's identity (`SealContext`) as GCM
 * additional authenticated data, so a sealed value copied into another row (say, one key's
 * private half under another kid) fails to open. While a key is set, a value found in clear is
 * refused, not used: an attacker with write access to the database must not be able to plant a
 * key of their choosing. Without a key, values are stored as they are, and a sealed value
 * cannot be opened and says so.
 */
export class KeySealer {
  constructor(private readonly key: Buffer | null) {}

  /** The value to store for `plaintext` in the row `context` (as it is when no key is set). */
  seal(plaintext: string, context: SealContext): string {
    if (!this.key) return plaintext
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `${boundPrefix}${[iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')}`
  }

  /**
   * The plaintext of a value stored in the row `context`. Throws KeySealError when it is sealed
   * and no key (or another key) is set, when it was sealed for another row, and when it is in
   * clear or in the older unbound format although a key is set (naming `portcullis keys seal`).
   */
  open(stored: string, context: SealContext): string {
    if (!isSealed(stored)) {
      if (!this.key) return stored
      throw new KeySealError(
        `${context} is stored unencrypted although PORTCULLIS_KEY_ENCRYPTION_KEY is set: run \`portcullis keys seal\` to encrypt the stored keys and secrets`,
      )
    }
    if (this.key && stored.startsWith(legacyPrefix)) {
      throw new KeySealError(
        `${context} is sealed in the older format not bound to its row: run \`portcullis keys seal\` to reseal the stored keys and secrets`,
      )
    }
    return this.decrypt(stored, context)
  }

  /**
   * What `keys seal` stores instead of `stored`: the value sealed in the current format, or
   * null when it already is. Throws KeySealError when no key is set or the value does not open.
   */
  reseal(stored: string, context: SealContext): string | null {
    if (!this.key) throw new KeySealError('set PORTCULLIS_KEY_ENCRYPTION_KEY to seal the secrets')
    if (stored.startsWith(boundPrefix)) {
      this.decrypt(stored, context) // a value that does not open must not be counted as sealed
      return null
    }
    return this.seal(isSealed(stored) ? this.decrypt(stored, context) : stored, context)
  }

  private decrypt(stored: string, context: SealContext): string {
    if (!this.key) {
      throw new KeySealError(
        'the stored keys and secrets are encrypted: set PORTCULLIS_KEY_ENCRYPTION_KEY',
      )
    }
    const bound = stored.startsWith(boundPrefix)
    const [iv, body, tag] = stored
      .slice(bound ? boundPrefix.length : legacyPrefix.length)
      .split('.')
      .map((p) => Buffer.from(p, 'base64url'))
    try {
      // A fixed tag length: Node would otherwise accept a truncated tag (forgeable).
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv ?? Buffer.alloc(0), {
        authTagLength: 16,
      })
      if (bound) decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(tag ?? Buffer.alloc(0))
      return Buffer.concat([decipher.update(body ?? Buffer.alloc(0)), decipher.final()]).toString(
        'utf8',
      )
    } catch {
      throw new KeySealError(
        `PORTCULLIS_KEY_ENCRYPTION_KEY does not open ${context} (another key, or a value moved from another row)`,
      )
    }
  }
}

function isSealed(stored: string): boolean {
  return stored.startsWith(boundPrefix) || stored.startsWith(legacyPrefix)
}
