/**
 * The storage ports of second factors: TOTP authenticators and passkeys, recovery codes, the
 * tokens that carry a checked password to its second step, and WebAuthn challenges. Part of the
 * Store port (src/store/store.ts), kept apart so that file stays one concept per section.
 */
import type {
  MfaFactorRecord,
  MfaTokenRecord,
  RecoveryCodeRecord,
  WebAuthnChallengeRecord,
  WebAuthnPurpose,
} from './records.js'

/** A user's factors: TOTP (at most one, pending until confirmed) and passkeys. */
export interface MfaFactorStore {
  /**
   * Inserts a factor. A TOTP factor replaces the user's pending (unconfirmed) one in the same
   * transaction; throws UniqueViolationError('id') when the user already has a confirmed TOTP
   * factor or the passkey's credential ID is registered (to anyone).
   */
  insert(factor: MfaFactorRecord): Promise<void>
  findById(id: string): Promise<MfaFactorRecord | null>
  /** The passkey with this credential ID (base64url), whoever owns it; null when unknown. */
  findByCredentialId(credentialId: string): Promise<MfaFactorRecord | null>
  /** Every factor of the user, pending ones included, oldest first. */
  listForUser(userId: string): Promise<MfaFactorRecord[]>
  /** Marks the user's pending factor `id` confirmed at `at`; whether it changed. */
  confirm(id: string, userId: string, at: string): Promise<boolean>
  /**
   * Accepts TOTP time step `step` for factor `id` only if it is later than the last accepted
   * one, atomically (one conditional update): of any number of concurrent callers with the same
   * or earlier step, at most one gets true (RFC 6238 §5.2: a code is never accepted twice).
   */
  acceptStep(id: string, step: number, at: string): Promise<boolean>
  /**
   * Records a passkey assertion: sets the signature counter, the backed-up flag and the last
   * use, only if the stored counter is still `expectedCount` (no lost update between two
   * concurrent assertions); whether it changed.
   */
  recordAssertion(
    id: string,
    expectedCount: number,
    next: { signCount: number; backedUp: boolean },
    at: string,
  ): Promise<boolean>
  /** Renames the user's factor `id`; whether it exists and is theirs. */
  rename(id: string, userId: string, name: string): Promise<boolean>
  /** Deletes the user's factor `id`; whether it existed and was theirs. */
  delete(id: string, userId: string): Promise<boolean>
  /**
   * Deletes every factor and recovery code of the user in one transaction (an operator's reset);
   * returns how many factors it deleted.
   */
  deleteAllForUser(userId: string): Promise<number>
  /** For copying: factors after `afterId` in id order, and complete rows back in. */
  page(afterId: string | null, limit: number): Promise<MfaFactorRecord[]>
  insertRecord(factor: MfaFactorRecord): Promise<void>
}

/** Recovery codes, stored by their keyed hash (computed by the caller), each usable once. */
export interface RecoveryCodeStore {
  /** Deletes the user's codes (used or not) and inserts `hashes`, in one transaction. */
  replace(userId: string, hashes: readonly string[], at: string): Promise<void>
  /**
   * Spends the user's unused code `hash` (one conditional update): of any number of concurrent
   * callers, exactly one gets true; an unknown, used or other user's code gives false.
   */
  spend(userId: string, hash: string, at: string): Promise<boolean>
  /** How many unused codes the user has left. */
  remaining(userId: string): Promise<number>
  /** For copying: codes after `afterHash` in hash order, and complete rows back in. */
  page(afterHash: string | null, limit: number): Promise<RecoveryCodeRecord[]>
  insertRecord(code: RecoveryCodeRecord): Promise<void>
}

/** The tokens between a right password and its second factor, stored by their SHA-256. */
export interface MfaTokenStore {
  insert(token: MfaTokenRecord): Promise<void>
  /** The live token: unspent, `expiresAt > at`, of `clientId`; null otherwise. */
  findLive(hash: string, clientId: string, at: string): Promise<MfaTokenRecord | null>
  /**
   * Reserves one attempt on the live token `hash` of `clientId` (unspent, `expiresAt > at`):
   * counts it while fewer than `maxAttempts` are counted and returns the token with the new
   * count; null when the token is not live or has no attempt left. Called BEFORE the factor is
   * checked, as one conditional update: of any number of concurrent callers no more than
   * `maxAttempts` attempts are ever counted, so no more factors than that are checked per token.
   */
  reserveAttempt(
    hash: string,
    clientId: string,
    maxAttempts: number,
    at: string,
  ): Promise<MfaTokenRecord | null>
  /**
   * Spends the unspent token `hash` of `clientId` (used at `at`) and returns it; null when it is
   * unknown, another client's or already spent. Called after a reserved attempt whose factor was
   * right (the reservation proved the token live, so a token that expired or was ended since is
   * still spent): of concurrent callers at most one gets the token. One conditional update.
   */
  spend(hash: string, clientId: string, at: string): Promise<MfaTokenRecord | null>
  /**
   * Ends the unspent token `hash` of `clientId`: it expires at `at`, so no lookup finds it and
   * no attempt can be reserved on it any more. Called after a wrong factor whose reserved
   * attempt was the last allowed; an attempt reserved before, whose factor is right, may still
   * `spend` it (it was within the limit).
   */
  end(hash: string, clientId: string, at: string): Promise<void>
  /** Deletes up to `limit` tokens expired or spent before `now`; returns how many. */
  purge(now: string, limit: number): Promise<number>
}

/** WebAuthn challenges, single-use and short-lived (WebAuthn §13.4.3). */
export interface WebAuthnChallengeStore {
  insert(challenge: WebAuthnChallengeRecord): Promise<void>
  /**
   * Spends the challenge `id` if it is unspent, of `purpose`, of `userId` (null: a username-less
   * sign-in) and unexpired at `at`, and returns it; null otherwise. Of concurrent callers
   * exactly one gets it.
   */
  consume(
    id: string,
    purpose: WebAuthnPurpose,
    userId: string | null,
    at: string,
  ): Promise<WebAuthnChallengeRecord | null>
  /** Deletes up to `limit` challenges expired or spent before `now`; returns how many. */
  purge(now: string, limit: number): Promise<number>
}
