import type { JWK } from 'jose'
import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
import {
  type AsymmetricAlg,
  generateRecord,
  type HeldKey,
  importRecord,
  type SigningAlg,
  sharedSecretKey,
} from './key-material.js'
import type { KeySealer } from './key-sealer.js'

export type { HeldKey, SigningAlg } from './key-material.js'

/** A JWK Set as served at /.well-known/jwks.json: public members only. */
export interface PublicJwks {
  keys: JWK[]
}

export interface KeyringOptions {
  alg: SigningAlg
  /** How long a superseded key keeps verifying: the access-token lifetime. */
  tokenTtlSeconds: number
  /** How long a new key is published before it signs (default rotation delay). */
  publishSeconds: number
  /** Rotate automatically when the signing key is this old; 0 = only by `keys rotate`. */
  rotationSeconds: number
  sealer: KeySealer
  /** The HS256 mode's shared secret; when set, the store's keys are not used. */
  sharedSecret?: string | undefined
}

/** A key and where it is in its life, for `keys list`. */
export interface KeyState {
  kid: string
  alg: SigningAlg
  state: 'next' | 'active' | 'retired'
  activatesAt: string
  /** When a retired key stops verifying and leaves the JWKS. */
  removedAt: string | null
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The signing keys, shared by every instance through the store. A key is `next` (published,
 * not yet signing) until its activation time, then `active` (signs) until a newer key of the
 * configured algorithm activates, then `retired`: still published and verifying until every
 * token it signed has expired, then gone. States follow from the stored times and the clock, so
 * every instance agrees on them without coordination; `load` re-reads the store (periodically,
 * and on an unknown kid) to see keys other instances or the CLI added.
 */
export class Keyring {
  private keys: HeldKey[] = []
  /** Activation times of every stored key of the signing alg, revoked ones too, ascending. */
  private activations: string[] = []
  private byKid = new Map<string, { held: HeldKey; removedAt: number }>()
  private loadedAt = Number.NEGATIVE_INFINITY
  private reloading: Promise<void> | undefined

  constructor(
    private readonly store: Store,
    private readonly options: KeyringOptions,
    private readonly clock: Clock,
  ) {}

  /** Loads the keys, creating the first (or the next, when rotation is due) unless `create` is false. */
  async load({ create = true }: { create?: boolean } = {}): Promise<void> {
    if (this.options.sharedSecret !== undefined) {
      this.keys = [sharedSecretKey(this.options.sharedSecret)]
      this.index()
      this.loadedAt = this.clock.now()
      return
    }
    const alg = this.options.alg as AsymmetricAlg
    const now = this.clock.now()
    if (create) {
      await this.addFirstKey(alg, now)
      await this.rotateIfDue(alg, now)
    }
    const all = await this.store.signingKeys.list()
    const records = all.filter((r) => r.retiredAt === null)
    const held = await Promise.all(records.map((r) => importRecord(r, this.options.sealer)))
    this.keys = held.sort(
      (a, b) =>
        a.activatesAt.localeCompare(b.activatesAt) || a.createdAt.localeCompare(b.createdAt),
    )
    // A revoked key that had activated still ends its predecessor's verification time:
    // revoking the active key must not lengthen the life of the key it replaced.
    this.activations = all
      .filter((r) => r.alg === alg && (r.retiredAt === null || r.activatesAt <= r.retiredAt))
      .map((r) => r.activatesAt)
      .sort()
    this.index()
    this.loadedAt = now
  }

  /** Adds a key that activates `activateInSeconds` from now; returns its kid. */
  async rotate(activateInSeconds = this.options.publishSeconds): Promise<string> {
    const now = this.clock.now()
    const record = await generateRecord(
      this.options.alg as AsymmetricAlg,
      iso(now),
      iso(now + activateInSeconds * 1000),
      this.options.sealer,
    )
    await this.store.signingKeys.insert(record)
    await this.load()
    return record.kid
  }

  /**
   * Revokes the key `kid` (a leaked key): it leaves the JWKS and stops verifying at once in this
   * keyring (other instances follow at their next reload), and its private half is deleted from
   * the store. When it was the signing key, a new key that signs at once is stored in the same
   * step, so tokens keep being issued. Returns the successor's kid (null when none was needed),
   * or undefined when no unrevoked key has this kid.
   */
  async revoke(kid: string): Promise<{ successor: string | null } | undefined> {
    const now = this.clock.now()
    const records = (await this.store.signingKeys.list()).filter((r) => r.retiredAt === null)
    const target = records.find((r) => r.kid === kid)
    if (!target) return undefined
    // list() is newest first: the first activated key of the signing alg is the signer.
    const signer = records.find((r) => r.alg === this.options.alg && r.activatesAt <= iso(now))
    const successor =
      signer?.kid === kid && this.options.sharedSecret === undefined
        ? await generateRecord(
            this.options.alg as AsymmetricAlg,
            iso(now),
            // Never earlier than the revoked key: the successor must sort after it.
            iso(Math.max(now, Date.parse(target.activatesAt))),
            this.options.sealer,
          )
        : null
    if (!(await this.store.signingKeys.revoke(kid, iso(now), successor))) return undefined
    await this.load()
    return { successor: successor?.kid ?? null }
  }

  /** The key that signs new tokens now. */
  signingKey(): HeldKey {
    const now = iso(this.clock.now())
    const signer = this.keys.findLast((k) => k.alg === this.options.alg && k.activatesAt <= now)
    if (!signer) throw new Error('keyring not loaded')
    return signer
  }

  /** The held key with this kid if it still verifies (next, active, or retired within the TTL). */
  find(kid: string): HeldKey | undefined {
    const key = this.byKid.get(kid)
    // Runs on every request (token-cache hits too), so the removal time is precomputed.
    return key && key.removedAt > this.clock.now() ? key.held : undefined
  }

  /** The published keys: every key that still verifies. */
  publicJwks(): PublicJwks {
    const now = this.clock.now()
    const keys: JWK[] = []
    for (const k of this.keys) if (k.publicJwk && this.removedAt(k) > now) keys.push(k.publicJwk)
    return { keys }
  }

  /** Every verifying key with its state, newest first. */
  states(): KeyState[] {
    if (this.keys.length === 0) return []
    const now = this.clock.now()
    const signer = this.signingKey()
    return this.keys
      .filter((k) => this.removedAt(k) > now)
      .map((k): KeyState => {
        const removed = this.removedAt(k)
        return {
          kid: k.kid,
          alg: k.alg,
          state: k === signer ? 'active' : k.activatesAt > iso(now) ? 'next' : 'retired',
          activatesAt: k.activatesAt,
          removedAt: Number.isFinite(removed) ? iso(removed) : null,
        }
      })
      .reverse()
  }

  /**
   * Reloads the keys if the last load is older than `minAgeMs` (for a kid another instance may
   * have created). Concurrent callers share one reload. Resolves whether a reload happened.
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

  /**
   * When a key stops verifying: a token lifetime after the next key of the signing algorithm
   * activates. A successor that has not activated yet puts that moment in the future anyway, so
   * the time can be computed once per load.
   */
  private removedAt(key: HeldKey): number {
    const successor = this.activations.find((at) => at > key.activatesAt)
    if (successor === undefined) return Number.POSITIVE_INFINITY
    return Date.parse(successor) + this.options.tokenTtlSeconds * 1000
  }

  private index(): void {
    this.byKid = new Map(
      this.keys.map((held) => [held.kid, { held, removedAt: this.removedAt(held) }]),
    )
  }

  /** Creates the first key of `alg` unless one exists (the insert itself re-checks, atomically). */
  private async addFirstKey(alg: AsymmetricAlg, now: number) {
    const existing = await this.store.signingKeys.list()
    if (existing.some((r) => r.alg === alg && r.retiredAt === null)) return
    const record = await generateRecord(alg, iso(now), iso(now), this.options.sealer)
    await this.store.signingKeys.insertIfNoneSince(record, new Date(0).toISOString())
  }

  private async rotateIfDue(alg: AsymmetricAlg, now: number) {
    if (this.options.rotationSeconds <= 0) return
    const records = (await this.store.signingKeys.list()).filter(
      (r) => r.alg === alg && r.retiredAt === null,
    )
    const newest = records[0]
    if (!newest || now - Date.parse(newest.activatesAt) < this.options.rotationSeconds * 1000)
      return
    const record = await generateRecord(
      alg,
      iso(now),
      iso(now + this.options.publishSeconds * 1000),
      this.options.sealer,
    )
    // Atomic: of instances noticing together, one adds the next key.
    await this.store.signingKeys.insertIfNoneSince(
      record,
      iso(now - this.options.rotationSeconds * 1000 + 1),
    )
  }
}
