import { createSecretKey, type KeyObject } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'
import type { SigningKeyRecord } from '../store/store.js'
import { KeySealError, type KeySealer, signingKeyContext } from './key-sealer.js'

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
  const publicJwk = await publicJwkOf(await exportJWK(pair.publicKey), alg)
  const kid = publicJwk.kid as string
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

/**
 * The public JWK as published for a key: its public members, kid = their RFC 7638 thumbprint
 * (stable, derived from the key itself, carries no meaning), alg and use.
 */
async function publicJwkOf(jwk: JWK, alg: AsymmetricAlg): Promise<JWK> {
  const publicJwk: JWK = {}
  for (const member of publicMembers) if (jwk[member]) publicJwk[member] = jwk[member]
  const kid = await calculateJwkThumbprint(publicJwk)
  return Object.assign(publicJwk, { kid, alg, use: 'sig' })
}

/**
 * Imports a stored record, opening its sealed private key (bound to its kid).
 *
 * Security invariant: only the private half is sealed (authenticated); `public_jwk` is not. The
 * key that verifies tokens is therefore derived from the opened private JWK, and the row is
 * refused (KeySealError) unless its stored public JWK is exactly that derived one and the kid
 * is its thumbprint: otherwise write access to the database would let an attacker put their
 * own public key under a trusted kid and sign tokens the server accepts (RFC 8725 §3.1).
 */
export async function importRecord(record: SigningKeyRecord, sealer: KeySealer): Promise<HeldKey> {
  const alg = record.alg as AsymmetricAlg
  if (record.privateJwk === null) throw new Error(`signing key ${record.kid} has no private half`)
  const privateJwk = JSON.parse(
    sealer.open(record.privateJwk, signingKeyContext(record.kid)),
  ) as JWK
  const publicJwk = await publicJwkOf(privateJwk, alg)
  if (publicJwk.kid !== record.kid || !isDeepStrictEqual(parseJson(record.publicJwk), publicJwk)) {
    throw new KeySealError(
      `signing_keys/${record.kid}: the stored public key does not match its private key and kid (altered in the database?): refusing the key`,
    )
  }
  return {
    kid: record.kid,
    alg,
    publicJwk,
    privateKey: (await importJWK(privateJwk, alg)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
    createdAt: record.createdAt,
    activatesAt: record.activatesAt,
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
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
