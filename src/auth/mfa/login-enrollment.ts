import type { Clock } from '../../clock.js'
import { ApiError } from '../../errors.js'
import type { MfaTokenRecord, Store, UserRecord } from '../../store/store.js'
import { sha256 } from '../sha256.js'
import type { MfaContext, MfaService, TotpEnrollment } from './mfa-service.js'

/** What enrollment at sign-in needs of the factor service. */
export type EnrollmentFactors = Pick<MfaService, 'hasFactor' | 'enrollTotp' | 'confirmTotp'>

/** How a confirmation at sign-in ended. */
export type EnrollmentConfirmation =
  /** Confirmed and the token spent: the sign-in goes on with these codes shown once. */
  | { ok: true; user: UserRecord; token: MfaTokenRecord; recoveryCodes: string[] }
  /** A wrong code; the token stays usable unless that was its last attempt. */
  | { ok: false; reason: 'wrong_code'; spent: boolean }
  /** Unknown, spent or expired token, another client's, or the user has a factor already. */
  | { ok: false; reason: 'invalid' }

/** As many wrong codes as the second step allows one token. */
export const maxEnrollmentAttempts = 5

/**
 * Enrollment during a sign-in, for users whose roles require a second factor and who have none
 * (PORTCULLIS_MFA_REQUIRED_ROLES): the `mfa_token` of a right password lets them enroll a TOTP
 * authenticator, and a right first code both confirms it and completes the sign-in. Security
 * invariant: a token of a user who already has a confirmed factor never enrolls another (that
 * would let a password alone replace the second factor); each wrong code counts against the
 * token's attempts, and the token is spent by the success, so a code completes one sign-in.
 */
export class LoginEnrollment {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly factors: EnrollmentFactors,
  ) {}

  /** The enrollment to show for the live token `mfaToken` of `clientId`; null when refused. */
  async begin(
    mfaToken: string,
    clientId: string,
    context: MfaContext,
  ): Promise<TotpEnrollment | null> {
    const user = await this.userOf(mfaToken, clientId)
    if (user === null) return null
    return this.factors.enrollTotp(user, context)
  }

  /** Confirms the pending enrollment of the token's user with `code` (see the class). */
  async confirm(
    mfaToken: string,
    clientId: string,
    code: string,
    context: MfaContext,
  ): Promise<EnrollmentConfirmation> {
    const user = await this.userOf(mfaToken, clientId)
    if (user === null) return { ok: false, reason: 'invalid' }
    const hash = sha256(mfaToken)
    let codes: string[] | null
    try {
      codes = await this.factors.confirmTotp(user.id, code, context)
    } catch (error) {
      // A wrong code (400); no pending enrollment (404: begin was not shown) is a dead end.
      if (!(error instanceof ApiError)) throw error
      if (error.code !== 'invalid_request') return { ok: false, reason: 'invalid' }
      codes = null
    }
    const at = this.now()
    if (codes === null) {
      const attempt = await this.store.mfaTokens.attempt(
        hash,
        clientId,
        false,
        maxEnrollmentAttempts,
        at,
      )
      if (attempt.outcome !== 'rejected') return { ok: false, reason: 'invalid' }
      return { ok: false, reason: 'wrong_code', spent: attempt.spent }
    }
    const attempt = await this.store.mfaTokens.attempt(
      hash,
      clientId,
      true,
      maxEnrollmentAttempts,
      at,
    )
    if (attempt.outcome !== 'accepted') return { ok: false, reason: 'invalid' }
    return { ok: true, user, token: attempt.token, recoveryCodes: codes }
  }

  /** The enabled user of a live token, only while they have no confirmed factor. */
  private async userOf(mfaToken: string, clientId: string): Promise<UserRecord | null> {
    const token = await this.store.mfaTokens.findLive(sha256(mfaToken), clientId, this.now())
    if (token === null) return null
    const user = await this.store.users.findById(token.userId)
    if (user === null || user.disabled) return null
    if (await this.factors.hasFactor(user.id)) return null
    return user
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString()
  }
}
