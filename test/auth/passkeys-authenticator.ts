/**
 * A software WebAuthn authenticator for service tests: P-256 keys from node:crypto, CBOR from
 * the library's own encoder, the byte layouts of WebAuthn §6.1 (authenticator data) and §6.5
 * (attestation object, format `none`). It produces the JSON a browser would send, so the tests
 * run @simplewebauthn/server's real verification. Chromium's virtual authenticator drives the
 * browser tests (test/browser/passkeys.test.ts).
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { isoCBOR } from '@simplewebauthn/server/helpers'

interface Credential {
  id: Buffer
  key: KeyObject
  userHandle: string
  counter: number
}

export interface AuthenticatorOptions {
  origin: string
  /** Backup eligible (a synced passkey): BE flag, and BS once "backed up". */
  backupEligible?: boolean
  /** Whether the user is verified (UV flag). */
  userVerified?: boolean
  /** How much the counter grows per assertion (0: an authenticator without a counter). */
  counterStep?: number
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest()

export class SoftAuthenticator {
  readonly credentials: Credential[] = []
  constructor(readonly options: AuthenticatorOptions) {}

  private flags(attested: boolean): number {
    const { backupEligible = false, userVerified = true } = this.options
    return 0x01 | (userVerified ? 0x04 : 0) | (backupEligible ? 0x18 : 0) | (attested ? 0x40 : 0)
  }

  private authData(rpId: string, counter: number, attested: Buffer | null): Buffer {
    const count = Buffer.alloc(4)
    count.writeUInt32BE(counter)
    const flags = Buffer.from([this.flags(attested !== null)])
    return Buffer.concat([sha(rpId), flags, count, ...(attested ? [attested] : [])])
  }

  private clientData(type: string, challenge: string, origin = this.options.origin): string {
    return b64u(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })))
  }

  /** navigator.credentials.create: a new discoverable credential for these options. */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin?: string,
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    const cose = isoCBOR.encode(
      new Map<number, Uint8Array | number>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x ?? '', 'base64url')],
        [-3, Buffer.from(jwk.y ?? '', 'base64url')],
      ]),
    )
    const id = randomBytes(16)
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(id.length)
    const attested = Buffer.concat([Buffer.alloc(16), idLength, id, Buffer.from(cose)])
    const rpId = options.rp.id ?? ''
    const authData = this.authData(rpId, 0, attested)
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    )
    this.credentials.push({ id, key: privateKey, userHandle: options.user.id, counter: 0 })
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, origin),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    }
  }

  /** navigator.credentials.get: an assertion by `credential` (default: the last created). */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    credential: Credential | undefined = this.credentials.at(-1),
    overrides: { counter?: number; origin?: string } = {},
  ): AuthenticationResponseJSON {
    if (!credential) throw new Error('no credential')
    credential.counter = overrides.counter ?? credential.counter + (this.options.counterStep ?? 1)
    const authData = this.authData(options.rpId ?? '', credential.counter, null)
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides.origin)
    const signed = Buffer.concat([authData, sha(Buffer.from(clientDataJSON, 'base64url'))])
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: b64u(authData),
        signature: b64u(sign('sha256', signed, credential.key)),
        userHandle: credential.userHandle,
      },
    }
  }
}
