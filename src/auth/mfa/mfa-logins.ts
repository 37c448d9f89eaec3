import { randomBytes } from 'node:crypto'
import type { Clock } from '../../clock.js'
import { ApiError, invalidGrant } from '../../errors.js'
import type { MfaTokenRecord, Store, UserRecord } from '../../store/store.js'
import type { AuditService } from '../audit.js'
import { clientKey } from '../client-key.js'
import type { LoginThrottle } from '../login-throttle.js'
import { sha256 } from '../sha256.js'
import { signInAmr } from './amr.js'
import type { MfaContext, MfaService } from './mfa-service.js'

/** What the first step (a right password) granted, carried to the second. */
export interface PendingGrant {
  /** The scope granted (space-separated). */
  scope: string
  /** The RFC 8707 resource asked for; null: Portcullis itself. */
  resource: string | null
}

/** A sign-in completed by its second factor. */
export interface CompletedLogin extends PendingGrant {
  user: UserRecord
  /** When the password was checked (the tokens' `auth_time`). */
  authTime: string
  /** RFC 8176 methods of the whole sign-in, e.g. `pwd otp mfa`. */
  amr: string[]
  /**
   * When the second step confirmed a TOTP enrollment (a user of a required role enrolling at
   * sign-in): the ten new recovery codes, shown once.
   */
  recoveryCodes?: string[]
}

/** What MfaLogins uses. */
export interface MfaLoginsDeps {
  store: Pick<Store, 'mfaTokens' | 'users'>
  mfa: Pick<MfaService, 'verifyCode' | 'hasFactor' | 'confirmTotp'>
  throttle: LoginThrottle
  audit: AuditService
  clock: Clock
}

/** How long a password's proof waits for its second factor. */
export const mfaTokenTtlMs = 5 * 60 * 1000
/** Wrong codes one `mfa_token` survives; the last of them spends it. */
export const mfaTokenMaxAttempts = 5
/** 256 random bits, base64url (43 characters): anything else is unknown without a lookup. */
const tokenShape = /^[A-Za-z0-9_-]{43}$/
/**
 * The login throttle's account key of the second step: its own counters, apart from the
 * password's, so wrong codes are delayed like wrong passwords (NIST SP 800-63B-4 §3.2.2) while
 * only someone who already has the password (an `mfa_token`) can add to them: an attacker
 * without it can never lock the owner out of their second step.
 */
const throttleKey = (userId: string) => `mfa:user:${userId}`

const invalidToken = () =>
  invalidGrant('the mfa_token is invalid, expired or was already used: sign in again')

/**
 * Ends an attempt reserved on `reserved` (`mfaTokens.reserveAttempt`) whose factor was wrong:
 * when it was the last allowed, the token ends (gone for lookups and further attempts, while an
 * attempt reserved before it with a right factor may still complete). Returns whether it ended.
 */
export async function refuseAttempt(
  store: Pick<Store, 'mfaTokens'>,
  reserved: MfaTokenRecord,
  at: string,
): Promise<boolean> {
  if (reserved.attempts < mfaTokenMaxAttempts) return false
  await store.mfaTokens.end(reserved.hash, reserved.clientId, at)
  return true
}

/**
 * The step between a right password and its second factor: the password grant's `mfa_token`
 * (and the login page's second form). A token is opaque (256 random bits), stored only as its
 * SHA-256, valid 5 minutes, bound to the client and the first step's grant, and spent by a
 * success or by the fifth wrong code. Wrong codes are throttled per account like passwords.
 *
 * Security invariants: the token is checked (live, this client's) before any code is, so
 * guesses without a password's proof reach neither the factor nor the throttle's counters; each
 * attempt is counted on the token atomically BEFORE its code is checked, so however many run
 * concurrently no more than 5 codes are ever checked per token; of concurrent completions of one
 * token at most one succeeds (the store spends it atomically).
 */
export class MfaLogins {
  constructor(private readonly deps: MfaLoginsDeps) {}

  private iso = (ms = this.deps.clock.now()) => new Date(ms).toISOString()

  /**
   * Starts the second step for `user` after a right password (checked by the caller); returns
   * the `mfa_token`. Audited `mfa.required`. `authTime` defaults to now (the password's check).
   */
  async start(
    user: UserRecord,
    clientId: string,
    grant: PendingGrant,
    context: MfaContext,
  ): Promise<string> {
    const now = this.deps.clock.now()
    const token = randomBytes(32).toString('base64url')
    await this.deps.store.mfaTokens.insert({
      hash: sha256(token),
      userId: user.id,
      clientId,
      scope: grant.scope,
      resource: grant.resource,
      authTime: this.iso(now),
      attempts: 0,
      createdAt: this.iso(now),
      expiresAt: this.iso(now + mfaTokenTtlMs),
      usedAt: null,
    })
    await this.deps.audit.record({
      type: 'mfa.required',
      userId: user.id,
      clientId,
      ip: context.ip,
      userAgent: context.userAgent,
    })
    return token
  }

  /**
   * The user a live `mfaToken` of `clientId` belongs to (enabled), or 400 invalid_grant: the
   * enrollment endpoint (`POST /mfa/associate`) asks before showing a new secret.
   */
  async userOf(mfaToken: string, clientId: string): Promise<UserRecord> {
    const token = tokenShape.test(mfaToken)
      ? await this.deps.store.mfaTokens.findLive(sha256(mfaToken), clientId, this.iso())
      : null
    const user = token ? await this.deps.store.users.findById(token.userId) : null
    if (!user || user.disabled) throw invalidToken()
    return user
  }

  /**
   * Completes the sign-in of `mfaToken` (of `clientId`) with `otp` (a TOTP or recovery code; for
   * a user with no factor yet, the code confirming their pending TOTP enrollment). Throws 400
   * invalid_grant when the token is unknown, spent, expired or another client's, or the code is
   * wrong; 429 when the account's second-factor attempts are throttled.
   */
  async complete(
    mfaToken: string,
    clientId: string,
    otp: string,
    context: MfaContext,
  ): Promise<CompletedLogin> {
    const { store, throttle } = this.deps
    const user = await this.userOf(mfaToken, clientId)
    const hash = sha256(mfaToken)
    // Reserved before the code is checked: a burst of guesses gets no more checks than allowed.
    const attempt = await throttle.reserve(throttleKey(user.id), clientKey(context.ip), undefined)
    let reserved: MfaTokenRecord | null = null
    let checked: { method: 'totp' | 'recovery_code' | null; recoveryCodes?: string[] }
    try {
      reserved = await store.mfaTokens.reserveAttempt(
        hash,
        clientId,
        mfaTokenMaxAttempts,
        this.iso(),
      )
      // Spent, expired or out of attempts since the lookup (a concurrent request).
      if (reserved === null) throw invalidToken()
      checked = await this.check(user, otp, context)
    } catch (error) {
      await attempt.release()
      if (reserved !== null) await refuseAttempt(store, reserved, this.iso())
      throw error
    }
    const { method, recoveryCodes } = checked
    if (method === null) {
      const spent = await refuseAttempt(store, reserved, this.iso())
      await attempt.failed()
      throw invalidGrant(
        spent
          ? 'the code is wrong; too many wrong codes: the mfa_token is spent, sign in again'
          : 'the code is wrong or expired: enter the current code from the authenticator app, or a recovery code',
      )
    }
    const token = await store.mfaTokens.spend(hash, clientId, this.iso())
    if (token === null) {
      // A concurrent completion of this token succeeded first.
      await attempt.release()
      throw invalidToken()
    }
    await attempt.succeeded()
    return {
      user,
      scope: token.scope,
      resource: token.resource,
      authTime: token.authTime,
      amr: signInAmr(true, method),
      ...(recoveryCodes ? { recoveryCodes } : {}),
    }
  }

  /** Checks `otp` against the user's factor, or confirms their pending enrollment with it. */
  private async check(
    user: UserRecord,
    otp: string,
    context: MfaContext,
  ): Promise<{ method: 'totp' | 'recovery_code' | null; recoveryCodes?: string[] }> {
    if (await this.deps.mfa.hasFactor(user.id)) {
      return { method: await this.deps.mfa.verifyCode(user, otp, context) }
    }
    // No confirmed factor: this sign-in enrolls one (a required role, POST /mfa/associate).
    const recoveryCodes = await this.confirmEnrollment(user.id, otp, context)
    return recoveryCodes ? { method: 'totp', recoveryCodes } : { method: null }
  }

  /** Confirms the pending TOTP with `otp`: its recovery codes, or null for a wrong code. */
  private async confirmEnrollment(
    userId: string,
    otp: string,
    context: MfaContext,
  ): Promise<string[] | null> {
    try {
      return await this.deps.mfa.confirmTotp(userId, otp, context)
    } catch (error) {
      // A wrong code (400) or no pending enrollment (404): a wrong second step either way.
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) return null
      throw error
    }
  }
}
