import { randomBytes } from 'node:crypto'
import type { SecretChange, Store } from '../store/store.js'
import {
  type KeySealer,
  mfaFactorContext,
  serverSecretContext,
  signingKeyContext,
} from './key-sealer.js'

/**
 * The shared server secret `name` (an HMAC key: 32 random bytes, base64url), created by the
 * first instance that asks. Stored sealed and bound to its name when an encryption key is set;
 * throws KeySealError when the stored value cannot be opened or is in clear while a key is set.
 */
export async function serverSecret(
  store: Store,
  sealer: KeySealer,
  name: string,
  at: string,
): Promise<string> {
  const context = serverSecretContext(name)
  const candidate = sealer.seal(randomBytes(32).toString('base64url'), context)
  return sealer.open(await store.secrets.getOrCreate(name, candidate, at), context)
}

/**
 * What `sealStoredSecrets` changed: private signing keys, server secrets and TOTP secrets sealed
 * (again).
 */
export interface SealReport {
  signingKeys: number
  secrets: number
  totpSecrets: number
  /** Values already sealed in the current format, left as they are. */
  unchanged: number
}

/**
 * Seals every private signing key, server secret and TOTP secret (RFC 6238 shared keys, which
 * must be kept as secret as a password: RFC 6238 §5.1) stored in clear, and reseals those of the
 * older format without additional data, in one transaction (`portcullis keys seal`). Idempotent:
 * a second run changes nothing. Throws KeySealError, before writing anything, when no key is set
 * or a sealed value does not open with it; creates no key and no secret.
 */
export async function sealStoredSecrets(store: Store, sealer: KeySealer): Promise<SealReport> {
  const changes: SecretChange[] = []
  let unchanged = 0
  const plan = (table: SecretChange['table'], id: string, stored: string, next: string | null) => {
    if (next === null) unchanged++
    else changes.push({ table, id, expected: stored, next })
  }
  for (const key of await store.signingKeys.list()) {
    if (key.privateJwk === null) continue // revoked: nothing left to seal
    plan(
      'signing_keys',
      key.kid,
      key.privateJwk,
      sealer.reseal(key.privateJwk, signingKeyContext(key.kid)),
    )
  }
  for (const secret of await store.secrets.list()) {
    plan(
      'server_secrets',
      secret.name,
      secret.value,
      sealer.reseal(secret.value, serverSecretContext(secret.name)),
    )
  }
  // Factors are paged (there is one per user that enrolled): passkeys hold no secret.
  for (let after: string | null = null; ; ) {
    const page = await store.mfaFactors.page(after, 500)
    if (page.length === 0) break
    for (const f of page) {
      if (f.secret === null) continue
      plan('mfa_factors', f.id, f.secret, sealer.reseal(f.secret, mfaFactorContext(f.id)))
    }
    after = page.at(-1)?.id ?? null
  }
  await store.replaceSecrets(changes)
  const count = (table: SecretChange['table']) => changes.filter((c) => c.table === table).length
  return {
    signingKeys: count('signing_keys'),
    secrets: count('server_secrets'),
    totpSecrets: count('mfa_factors'),
    unchanged,
  }
}
