import { createSecretKey, type KeyObject } from 'node:crypto'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'
import type { SigningKeyRecord } from '../store/store.js'
import { type KeySealer, signingKeyContext } from './key-sealer.js'

export type AsymmetricAlg = 'ES256' | 'EdDSA'
export type SigningAlg = AsymmetricAlg | 'HS256'

/** A key this server holds, imported once. Each key is bound to exactly one alg (RFC 8725 §3.1). */
export interface HeldKey {
  kid: string
  alg: SigningAlg
  /** The public JWK as published; null for the HS256 shared secret, which is never published. */
  publicJwk: JWK | null
  privateKey: CryptoKey | KeyObject
  publicKey: CryptoKey | KeyObject
  createdAt: string
  activatesAt: string
}

const publicMembers = ['kty', 'crv', 'x', 'y'] as const

/** A new key pair as a store record, its private JWK sealed. */
export async function generateRecord(
  alg: AsymmetricAlg,
  createdAt: string,
  activatesAt: string,
  sealer: KeySealer,
): Promise<SigningKeyRecord> {
  const pair = await generateKeyPair(alg, { extractable: true })
  const full = await exportJWK(pair.publicKey)
  const publicJwk: JWK = {}
  for (const member of publicMembers) if (full[member]) publicJwk[member] = full[member]
  // kid = RFC 7638 thumbprint: stable, derived from the key itself, and carries no meaning.
  const kid = await calculateJwkThumbprint(publicJwk)
  Object.assign(publicJwk, { kid, alg, use: 'sig' })
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateJwk: sealer.seal(
      JSON.stringify(await exportJWK(pair.privateKey)),
      signingKeyContext(kid),
    ),
    createdAt,
    activatesAt,
    retiredAt: null,
  }
}

/** Imports a stored record, opening its sealed private key (bound to its kid). */
export async function importRecord(record: SigningKeyRecord, sealer: KeySealer): Promise<HeldKey> {
  const alg = record.alg as AsymmetricAlg
  if (record.privateJwk === null) throw new Error(`signing key ${record.kid} has no private half`)
  const publicJwk = JSON.parse(record.publicJwk) as JWK
  return {
    kid: record.kid,
    alg,
    publicJwk,
    privateKey: (await importJWK(
      JSON.parse(sealer.open(record.privateJwk, signingKeyContext(record.kid))) as JWK,
      alg,
    )) as CryptoKey,
    publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
    createdAt: record.createdAt,
    activatesAt: record.activatesAt,
  }
}

/** The HS256 shared-secret key of the tutorial-compatible mode: one key, never published. */
export function sharedSecretKey(secret: string): HeldKey {
  const key = createSecretKey(Buffer.from(secret, 'utf8'))
  const epoch = new Date(0).toISOString()
  return {
    kid: 'hs256',
    alg: 'HS256',
    publicJwk: null,
    privateKey: key,
    publicKey: key,
    createdAt: epoch,
    activatesAt: epoch,
  }
}
