import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'
import type { Clock } from '../clock.js'
import type { SigningKeyRecord, Store } from '../store/store.js'

export type SigningAlg = 'ES256' | 'EdDSA'

/** A key this server holds, imported once. Each key is bound to exactly one alg (RFC 8725 §3.1). */
export interface HeldKey {
  kid: string
  alg: SigningAlg
  publicJwk: JWK
  privateKey: CryptoKey
  publicKey: CryptoKey
  retired: boolean
}

/** A JWK Set as served at /.well-known/jwks.json: public members only. */
export interface PublicJwks {
  keys: JWK[]
}

const publicMembers = ['kty', 'crv', 'x', 'y'] as const

async function generateRecord(alg: SigningAlg, createdAt: string): Promise<SigningKeyRecord> {
  const pair = await generateKeyPair(alg, { extractable: true })
  const full = await exportJWK(pair.publicKey)
  const publicJwk: JWK = {}
  for (const member of publicMembers) if (full[member]) publicJwk[member] = full[member]
  // kid = RFC 7638 thumbprint: stable, derived from the key itself, and carries no meaning.
  const kid = await calculateJwkThumbprint(publicJwk)
  Object.assign(publicJwk, { kid, alg, use: 'sig' })
  const privateJwk = await exportJWK(pair.privateKey)
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateJwk: JSON.stringify(privateJwk),
    createdAt,
    retiredAt: null,
  }
}

async function importRecord(record: SigningKeyRecord): Promise<HeldKey> {
  const alg = record.alg as SigningAlg
  const publicJwk = JSON.parse(record.publicJwk) as JWK
  return {
    kid: record.kid,
    alg,
    publicJwk,
    privateKey: (await importJWK(JSON.parse(record.privateJwk) as JWK, alg)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
    retired: record.retiredAt !== null,
  }
}

/**
 * The signing keys, loaded from the store. On first start it generates and stores a key of
 * the configured algorithm; the newest unretired key of that algorithm signs, and every
 * unretired key verifies and is published, so tokens signed before a rotation stay valid.
 */
export class Keyring {
  private keys = new Map<string, HeldKey>()
  private active: HeldKey | undefined
  private jwks: PublicJwks = { keys: [] }
  private loadedAt = Number.NEGATIVE_INFINITY
  private reloading: Promise<void> | undefined

  constructor(
    private readonly store: Store,
    private readonly alg: SigningAlg,
    private readonly clock: Clock,
  ) {}

  /** Loads the keys, creating a signing key when none of the configured algorithm exists. */
  async load(): Promise<void> {
    let records = await this.store.signingKeys.list()
    if (!records.some((r) => r.alg === this.alg && r.retiredAt === null)) {
      const created = new Date(this.clock.now()).toISOString()
      await this.store.signingKeys.insertFirst(await generateRecord(this.alg, created))
      records = await this.store.signingKeys.list()
    }
    const held = await Promise.all(records.filter((r) => r.retiredAt === null).map(importRecord))
    this.keys = new Map(held.map((k) => [k.kid, k]))
    this.active = held.find((k) => k.alg === this.alg)
    this.jwks = { keys: held.map((k) => k.publicJwk) }
    this.loadedAt = this.clock.now()
  }

  /**
   * Reloads the keys if the last load is older than `minAgeMs`, for a kid that another instance
   * may have created. Concurrent callers share one reload; a flood of unknown kids costs at most
   * one query per `minAgeMs`. Resolves whether a reload happened.
   */
  async reloadIfOlderThan(minAgeMs: number): Promise<boolean> {
    if (this.reloading !== undefined) {
      await this.reloading
      return true
    }
    if (this.clock.now() - this.loadedAt < minAgeMs) return false
    this.reloading = this.load().finally(() => {
      this.reloading = undefined
    })
    await this.reloading
    return true
  }

  /** The key that signs new tokens. */
  signingKey(): HeldKey {
    if (!this.active) throw new Error('keyring not loaded')
    return this.active
  }

  /** The unretired key with this kid, or undefined. */
  find(kid: string): HeldKey | undefined {
    return this.keys.get(kid)
  }

  publicJwks(): PublicJwks {
    return this.jwks
  }
}
