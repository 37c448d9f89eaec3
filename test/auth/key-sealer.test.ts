import assert from 'node:assert/strict'
import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { KeySealer, serverSecretContext, signingKeyContext } from '../../src/auth/key-sealer.js'

const key = Buffer.alloc(32, 7)
const sealer = new KeySealer(key)

/** A value in the format written before sealed values were bound to their row. */
function legacySeal(plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `enc:v1:${[iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')}`
}

describe('KeySealer', () => {
  it('binds a sealed value to its row: moved to another kid or secret name it does not open', () => {
    const sealed = sealer.seal('{"d":"secret"}', signingKeyContext('kid-a'))
    assert.match(sealed, /^enc:v2:/)
    assert.equal(sealer.open(sealed, signingKeyContext('kid-a')), '{"d":"secret"}')
    assert.throws(() => sealer.open(sealed, signingKeyContext('kid-b')), /does not open/)
    assert.throws(() => sealer.open(sealed, serverSecretContext('kid-a')), /does not open/)
    const secret = sealer.seal('hmac', serverSecretContext('device-key'))
    assert.throws(
      () => sealer.open(secret, serverSecretContext('refresh-rotation-key')),
      /does not open/,
    )
  })

  it('refuses a value in clear while a key is set, naming `portcullis keys seal`', () => {
    assert.throws(
      () => sealer.open('{"d":"planted"}', signingKeyContext('kid-a')),
      /stored unencrypted.*portcullis keys seal/,
    )
    assert.equal(new KeySealer(null).open('clear', serverSecretContext('x')), 'clear')
  })

  it('refuses to open values of the older unbound format, naming `portcullis keys seal`', () => {
    const old = legacySeal('{"d":"secret"}')
    assert.throws(
      () => sealer.open(old, signingKeyContext('kid-a')),
      /older format not bound to its row.*portcullis keys seal/,
    )
    // Not even in the row it came from: an unbound value proves nothing about its row.
    assert.throws(() => sealer.open(old, signingKeyContext('kid-b')), /portcullis keys seal/)
    assert.throws(() => new KeySealer(null).open(old, signingKeyContext('kid-a')), /set PORTCULLIS/)
  })

  it('reseals values of the older unbound format bound to their row', () => {
    const old = legacySeal('hmac')
    const resealed = sealer.reseal(old, serverSecretContext('device-key'))
    assert.match(resealed ?? '', /^enc:v2:/)
    assert.equal(sealer.open(resealed ?? '', serverSecretContext('device-key')), 'hmac')
    assert.equal(sealer.reseal(resealed ?? '', serverSecretContext('device-key')), null)
  })

  it('refuses a truncated authentication tag', () => {
    const sealed = sealer.seal('hmac', serverSecretContext('device-key'))
    const [iv, body, tag] = sealed.slice('enc:v2:'.length).split('.')
    const short = Buffer.from(tag ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url')
    assert.throws(
      () => sealer.open(`enc:v2:${iv}.${body}.${short}`, serverSecretContext('device-key')),
      /does not open/,
    )
  })
})
