import { invalidRequest } from '../../errors.js'
import type { MfaChange } from '../../mail/messages.js'
import type { MfaFactorRecord, UserRecord } from '../../store/store.js'
import type { Actor } from '../audit.js'
import { MfaNotices } from './mfa-notices.js'
import {
  auditMeta,
  type MfaContext,
  type MfaMethod,
  type MfaServiceDeps,
  type MfaServiceOptions,
  type MfaStatus,
  type MfaSummary,
  requireUser,
  type TotpEnrollment,
} from './mfa-types.js'
import { RecoveryCodes } from './recovery-codes.js'
import { matchTotp, totpShape } from './totp.js'
import { openTotpSecret, TotpEnrollments } from './totp-enrollment.js'

export type {
  FactorView,
  MfaContext,
  MfaMethod,
  MfaServiceDeps,
  MfaServiceOptions,
  MfaStatus,
  MfaSummary,
  TotpEnrollment,
} from './mfa-types.js'

/**
 * A user's second factors: TOTP (RFC 6238) enrollment, confirmation and checks, recovery codes,
 * listing and removal, an operator's reset. Every enrollment, removal, success, failure and
 * recovery-code use is audited. No throttling here: the callers (the password grant's second
 * step, the login page) throttle before asking.
 *
 * Security invariants: a TOTP secret is stored sealed by the key-encryption key (bound to its
 * row) and leaves only in `enrollTotp`'s answer; a time step is accepted at most once per factor;
 * recovery codes are stored only as an HMAC keyed by a server secret over the user id and the
 * code (`RecoveryCodes`) and each is spent at most once; a pending
 * enrollment changes nothing at sign-in.
 */
export class MfaService {
  private readonly notices: MfaNotices
  private readonly totp: TotpEnrollments
  private readonly recoveryCodes: RecoveryCodes

  constructor(
    private readonly deps: MfaServiceDeps,
    options: MfaServiceOptions,
  ) {
    this.notices = new MfaNotices(deps.emailTokens, options.notices)
    this.recoveryCodes = new RecoveryCodes(deps.store.recoveryCodes, deps.recoveryCodeKey)
    this.totp = new TotpEnrollments(deps, this.notices, this.recoveryCodes, options.productName)
  }

  private now = () => new Date(this.deps.clock.now()).toISOString()

  /**
   * The methods the user can complete a sign-in with, from confirmed factors only (a pending
   * TOTP enrollment changes nothing): `totp`, `recovery_code` while unused codes remain,
   * `passkey`. Empty: the user has no second factor.
   */
  async methods(userId: string): Promise<MfaMethod[]> {
    const factors = await this.confirmedFactors(userId)
    const methods: MfaMethod[] = []
    if (factors.some((f) => f.kind === 'totp')) methods.push('totp')
    if (factors.length > 0 && (await this.deps.store.recoveryCodes.remaining(userId)) > 0) {
      methods.push('recovery_code')
    }
    if (factors.some((f) => f.kind === 'passkey')) methods.push('passkey')
    return methods
  }

  /** Whether the user has a confirmed factor (TOTP or passkey): step-up and the policy ask. */
  async hasFactor(userId: string): Promise<boolean> {
    return (await this.confirmedFactors(userId)).length > 0
  }

  /**
   * Checks `code` as the user's TOTP code (±1 step, never a step twice) or, failing that, as one
   * of their unused recovery codes (spent on success, and the user is noticed by email); audits
   * the outcome. Returns how it matched, or null.
   */
  async verifyCode(
    user: UserRecord,
    code: string,
    context: MfaContext,
  ): Promise<'totp' | 'recovery_code' | null> {
    const meta = auditMeta(user.id, context)
    const totp = totpShape(code)
    if (totp !== null) {
      const factor = (await this.confirmedFactors(user.id)).find((f) => f.kind === 'totp')
      const step = factor
        ? matchTotp(openTotpSecret(this.deps.sealer, factor), totp, this.deps.clock.now())
        : null
      // The conditional update refuses a step already used or older than the last one.
      if (
        factor &&
        step !== null &&
        (await this.deps.store.mfaFactors.acceptStep(factor.id, step, this.now()))
      ) {
        await this.deps.audit.record({ type: 'mfa.success', ...meta, detail: { method: 'totp' } })
        return 'totp'
      }
    } else {
      if (await this.recoveryCodes.spend(user.id, code, this.now())) {
        const remaining = await this.deps.store.recoveryCodes.remaining(user.id)
        await this.deps.audit.record({
          type: 'mfa.recovery_code_used',
          ...meta,
          detail: { remaining },
        })
        await this.notices.send(user, {
          kind: 'recovery_code_used',
          username: user.username,
          remaining,
        })
        return 'recovery_code'
      }
    }
    await this.deps.audit.record({
      type: 'mfa.failure',
      outcome: 'failure',
      ...meta,
      detail: { method: totp !== null ? 'totp' : 'recovery_code' },
    })
    return null
  }

  /** Starts enrolling an authenticator app (see TotpEnrollments.enroll). */
  enrollTotp(user: UserRecord, context: MfaContext): Promise<TotpEnrollment> {
    return this.totp.enroll(user, context)
  }

  /** Confirms the pending authenticator app; returns the recovery codes (TotpEnrollments.confirm). */
  confirmTotp(userId: string, code: string, context: MfaContext): Promise<string[]> {
    return this.totp.confirm(userId, code, context)
  }

  /** Removes the authenticator app (TotpEnrollments.remove). */
  removeTotp(userId: string, context: MfaContext): Promise<void> {
    return this.totp.remove(userId, context)
  }

  /**
   * Ten new recovery codes (shown once); the old set is void at once. 400 when the user has no
   * confirmed factor (recovery codes back up a factor).
   */
  async regenerateRecoveryCodes(userId: string, context: MfaContext): Promise<string[]> {
    const user = await requireUser(this.deps.store, userId)
    if (!(await this.hasFactor(userId))) {
      throw invalidRequest('recovery codes back up a second factor: enroll one first')
    }
    const codes = await this.recoveryCodes.issue(userId, this.now())
    await this.deps.audit.record({
      type: 'mfa.recovery_codes_regenerate',
      ...auditMeta(userId, context),
    })
    await this.change(user, 'recovery_codes_regenerated')
    return codes
  }

  /** The user's factors, pending ones included, without secrets; and the unused recovery codes. */
  async list(userId: string): Promise<MfaSummary> {
    const [factors, recoveryCodesRemaining] = await Promise.all([
      this.deps.store.mfaFactors.listForUser(userId),
      this.deps.store.recoveryCodes.remaining(userId),
    ])
    return {
      factors: factors.map((f) => ({
        id: f.id,
        kind: f.kind,
        name: f.name,
        createdAt: f.createdAt,
        confirmed: f.confirmedAt !== null,
        lastUsedAt: f.lastUsedAt,
      })),
      recoveryCodesRemaining,
    }
  }

  /** Which factors are on (confirmed), for the admin view. */
  async status(userId: string): Promise<MfaStatus> {
    const [factors, recoveryCodesRemaining] = await Promise.all([
      this.confirmedFactors(userId),
      this.deps.store.recoveryCodes.remaining(userId),
    ])
    return {
      totp: factors.some((f) => f.kind === 'totp'),
      passkeys: factors.filter((f) => f.kind === 'passkey').length,
      recoveryCodesRemaining,
    }
  }

  /**
   * An operator's reset (a user who lost every factor): deletes every factor and recovery code
   * of the user, audited with the actor, and the user is noticed. 404 for an unknown user.
   * Returns how many factors were deleted.
   */
  async reset(userId: string, actor: Actor): Promise<number> {
    const user = await requireUser(this.deps.store, userId)
    const deleted = await this.deps.store.mfaFactors.deleteAllForUser(userId)
    await this.deps.audit.record({
      type: 'admin.user.mfa_reset',
      userId,
      actor,
      detail: { factors_deleted: deleted },
    })
    if (deleted > 0) await this.change(user, 'reset')
    return deleted
  }

  private async confirmedFactors(userId: string): Promise<MfaFactorRecord[]> {
    return (await this.deps.store.mfaFactors.listForUser(userId)).filter(
      (f) => f.confirmedAt !== null,
    )
  }

  private change(user: UserRecord, change: MfaChange): Promise<void> {
    return this.notices.send(user, { kind: 'mfa_changed', username: user.username, change })
  }
}
