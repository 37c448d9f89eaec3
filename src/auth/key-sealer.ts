import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const prefix = 'enc:v1:'

/** Thrown when a sealed private key cannot be opened (wrong or missing encryption key). */
export class KeySealError extends Error {
  override name = 'KeySealError'
}

/**
 * Encrypts private keys at rest with AES-256-GCM under a 32-byte key from the environment
 * (`PORTCULLIS_KEY_ENCRYPTION_KEY`). Without a key, values are stored as they are; a sealed
 * value can then not be opened, and says so.
 */
export class KeySealer {
  constructor(private readonly key: Buffer | null) {}

  get enabled(): boolean {
    return this.key !== null
  }

  seal(plaintext: string): string {
    if (!this.key) return plaintext
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `${prefix}${[iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')}`
  }

  open(stored: string): string {
    if (!stored.startsWith(prefix)) return stored
    if (!this.key) {
      throw new KeySealError('the signing keys are encrypted: set PORTCULLIS_KEY_ENCRYPTION_KEY')
    }
    const [iv, body, tag] = stored
      .slice(prefix.length)
      .split('.')
      .map((p) => Buffer.from(p, 'base64url'))
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv ?? Buffer.alloc(0))
      decipher.setAuthTag(tag ?? Buffer.alloc(0))
      return Buffer.concat([decipher.update(body ?? Buffer.alloc(0)), decipher.final()]).toString(
        'utf8',
      )
    } catch {
      throw new KeySealError('PORTCULLIS_KEY_ENCRYPTION_KEY does not open the stored signing keys')
    }
  }
}
