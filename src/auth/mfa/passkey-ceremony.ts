import { randomBytes } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { WebAuthnPurpose } from '../../store/records.js'
import type { Store } from '../../store/store.js'
import { sha256 } from '../sha256.js'
import { webauthnHelpers } from './webauthn-library.js'

/** Where passkey ceremonies happen: the relying party (WebAuthn §5.1.3), from `config.mfa`. */
export interface RelyingParty {
  /** The RP ID: the issuer's host name. */
  rpId: string
  /** The origins a ceremony may come from (`clientDataJSON.origin`). */
  origins: readonly string[]
  /** Shown by the authenticator beside the account (the product name). */
  rpName: string
}

/**
 * How long a challenge stays usable: 5 minutes, also the `timeout` hint given to the browser
 * (WebAuthn §13.4.3 asks for a short-lived, single-use challenge).
 */
export const challengeTtlMs = 5 * 60_000

/**
 * A challenge's store id is the SHA-256 of the challenge itself: the browser sends the challenge
 * back inside `clientDataJSON`, so the ceremony needs no second value to carry, and a copy of the
 * database cannot be replayed against a pending ceremony.
 */
const challengeId = sha256

/**
 * The single-use challenges of passkey ceremonies in `store.webauthnChallenges`: 256 random
 * bits, stored with their purpose and the user they were issued to (null: a username-less
 * sign-in), spent by the first `consume`, whatever the ceremony's outcome.
 */
export class PasskeyChallenges {
  constructor(
    private readonly store: Pick<Store, 'webauthnChallenges'>,
    private readonly clock: Clock,
  ) {}

  /** A new challenge (base64url) for `purpose` and `userId`, stored before it is handed out. */
  async issue(purpose: WebAuthnPurpose, userId: string | null): Promise<string> {
    const challenge = randomBytes(32).toString('base64url')
    const now = this.clock.now()
    await this.store.webauthnChallenges.insert({
      id: challengeId(challenge),
      challenge,
      purpose,
      userId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + challengeTtlMs).toISOString(),
      usedAt: null,
    })
    return challenge
  }

  /**
   * Spends the challenge a response's `clientDataJSON` carries, if it is live, of `purpose` and
   * of `userId`; returns it, or null (unknown, spent, expired, another user's, or no readable
   * `clientDataJSON`). Of concurrent callers with one challenge, exactly one gets it.
   */
  async consume(
    clientDataJSON: unknown,
    purpose: WebAuthnPurpose,
    userId: string | null,
  ): Promise<string | null> {
    const challenge = await challengeOf(clientDataJSON)
    if (challenge === null) return null
    const at = new Date(this.clock.now()).toISOString()
    const record = await this.store.webauthnChallenges.consume(
      challengeId(challenge),
      purpose,
      userId,
      at,
    )
    return record?.challenge ?? null
  }
}

/** The challenge in a base64url `clientDataJSON`; null when it cannot be read. */
async function challengeOf(clientDataJSON: unknown): Promise<string | null> {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return null
  const { decodeClientDataJSON } = await webauthnHelpers()
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON)
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(challenge)
      ? challenge
      : null
  } catch {
    return null
  }
}

/** The user handle (WebAuthn §5.4.3) of a user: the bytes of their opaque id, never a name. */
export const userHandleOf = (userId: string): Uint8Array => new TextEncoder().encode(userId)
