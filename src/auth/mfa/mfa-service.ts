import { randomUUID } from 'node:crypto'
import type { Clock } from '../../clock.js'
import { ApiError, invalidRequest } from '../../errors.js'
import type { MfaChange } from '../../mail/messages.js'
import type { MfaFactorRecord, Store, UserRecord } from '../../store/store.js'
import { UniqueViolationError } from '../../store/store.js'
import type { Actor, AuditService } from '../audit.js'
import type { EmailTokens } from '../email-tokens.js'
import { type KeySealer, mfaFactorContext } from '../key-sealer.js'
import { MfaNotices } from './mfa-notices.js'
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js'
import { matchTotp, newTotpSecret, qrSvg, totpShape, totpUri } from './totp.js'

/** Who acts, as the HTTP layer saw it (for the audit log). */
export interface MfaContext {
  clientId: string | null
  ip: string
  userAgent: string | null
}

/** The second factors a sign-in can be completed with (the password grant's `mfa_methods`). */
export type MfaMethod = 'totp' | 'recovery_code' | 'passkey'

/** What a new TOTP enrollment shows the user once: the secret, its URI and the URI's QR code. */
export interface TotpEnrollment {
  /** The base32 shared secret (for typing into an app that cannot scan). */
  secret: string
  /** The `otpauth://totp/...` URI (issuer: the product name; label: the username). */
  otpauthUri: string
  /** The URI as an inline SVG QR code. */
  qrSvg: string
}

/** A factor as its owner sees it: never its secret or public key. */
export interface FactorView {
  id: string
  kind: MfaFactorRecord['kind']
  name: string
  createdAt: string
  confirmed: boolean
  lastUsedAt: string | null
}

/** The user's factors and how many unused recovery codes remain. */
export interface MfaSummary {
  factors: FactorView[]
  recoveryCodesRemaining: number
}

export interface MfaServiceDeps {
  store: Pick<Store, 'mfaFactors' | 'recoveryCodes' | 'users'>
  sealer: KeySealer
  clock: Clock
  audit: AuditService
  emailTokens: Pick<EmailTokens, 'notify'>
}

export interface MfaServiceOptions {
  /** The `otpauth` issuer label (what authenticator apps show). */
  productName: string
  /** Whether notices are emailed (the email flows are on). */
  notices: boolean
}

const totpName = 'Authenticator app'
const noTotp = () => new ApiError('not_found', 'no authenticator app is enrolled')
const wrongCode = () => invalidRequest('the code is wrong or expired: enter the current code')

/**
 * A user's second factors: TOTP (RFC 6238) enrollment, confirmation and checks, recovery codes,
 * listing and removal, an operator's reset. Every enrollment, removal, success, failure and
 * recovery-code use is audited. No throttling here: the callers (the password grant's second
 * step, the login page) throttle before asking.
 *
 * Security invariants: a TOTP secret is stored sealed by the key-encryption key (bound to its
 * row) and leaves only in `enrollTotp`'s answer; a time step is accepted at most once per factor;
 * recovery codes are stored as SHA-256 only and each is spent at most once; a pending
 * enrollment changes nothing at sign-in.
 */
export class MfaService {
  private readonly notices: MfaNotices

  constructor(
    private readonly deps: MfaServiceDeps,
    private readonly options: MfaServiceOptions,
  ) {
    this.notices = new MfaNotices(deps.emailTokens, options.notices)
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
      const step = factor ? matchTotp(this.secretOf(factor), totp, this.deps.clock.now()) : null
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
      const hash = hashRecoveryCode(code)
      if (hash !== null && (await this.deps.store.recoveryCodes.spend(user.id, hash, this.now()))) {
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

  /**
   * Starts a TOTP enrollment: a new secret, stored sealed in a pending factor (replacing a
   * pending one). 409 `totp_enrolled` when the user already has a confirmed one (remove it
   * first). Nothing changes at sign-in until `confirmTotp`.
   */
  async enrollTotp(user: UserRecord, context: MfaContext): Promise<TotpEnrollment> {
    const { store, sealer } = this.deps
    const existing = await store.mfaFactors.listForUser(user.id)
    if (existing.some((f) => f.kind === 'totp' && f.confirmedAt !== null)) throw totpEnrolled()
    const id = randomUUID()
    const secret = newTotpSecret()
    try {
      await store.mfaFactors.insert({
        id,
        userId: user.id,
        kind: 'totp',
        name: totpName,
        secret: sealer.seal(secret, mfaFactorContext(id)),
        lastStep: null,
        credentialId: null,
        publicKey: null,
        signCount: null,
        transports: [],
        backupEligible: false,
        backedUp: false,
        createdAt: this.now(),
        confirmedAt: null,
        lastUsedAt: null,
      })
    } catch (error) {
      // A concurrent enrollment was confirmed in between.
      if (error instanceof UniqueViolationError) throw totpEnrolled()
      throw error
    }
    await this.deps.audit.record({
      type: 'mfa.totp_enroll',
      ...auditMeta(user.id, context),
      detail: { factor_id: id },
    })
    const otpauthUri = totpUri(secret, this.options.productName, user.username)
    return { secret, otpauthUri, qrSvg: await qrSvg(otpauthUri) }
  }

  /**
   * Confirms the pending TOTP enrollment with a current code (which is then used up) and returns
   * ten new recovery codes, shown once (any older set is void). 404 without a pending enrollment,
   * 400 for a wrong code (the enrollment stays pending).
   */
  async confirmTotp(userId: string, code: string, context: MfaContext): Promise<string[]> {
    const { store } = this.deps
    const user = await this.user(userId)
    const pending = (await store.mfaFactors.listForUser(userId)).find(
      (f) => f.kind === 'totp' && f.confirmedAt === null,
    )
    if (!pending)
      throw new ApiError(
        'not_found',
        'no authenticator app is waiting for confirmation: enroll first',
      )
    const totp = totpShape(code)
    const step =
      totp === null ? null : matchTotp(this.secretOf(pending), totp, this.deps.clock.now())
    if (step === null) {
      await this.deps.audit.record({
        type: 'mfa.totp_confirm',
        outcome: 'failure',
        ...auditMeta(userId, context),
        detail: { factor_id: pending.id },
      })
      throw wrongCode()
    }
    const at = this.now()
    // Of concurrent confirmations one wins; the code it used cannot sign in afterwards.
    if (!(await store.mfaFactors.confirm(pending.id, userId, at))) throw wrongCode()
    await store.mfaFactors.acceptStep(pending.id, step, at)
    const codes = await this.replaceRecoveryCodes(userId)
    await this.deps.audit.record({
      type: 'mfa.totp_confirm',
      ...auditMeta(userId, context),
      detail: { factor_id: pending.id },
    })
    await this.change(user, 'totp_added')
    return codes
  }

  /**
   * Removes the user's authenticator app (pending or confirmed); with the last factor gone, the
   * recovery codes go too (the store does it). 404 when there is none.
   */
  async removeTotp(userId: string, context: MfaContext): Promise<void> {
    const user = await this.user(userId)
    const factor = (await this.deps.store.mfaFactors.listForUser(userId)).find(
      (f) => f.kind === 'totp',
    )
    if (!factor || !(await this.deps.store.mfaFactors.delete(factor.id, userId))) throw noTotp()
    await this.deps.audit.record({
      type: 'mfa.totp_remove',
      ...auditMeta(userId, context),
      detail: { factor_id: factor.id },
    })
    if (factor.confirmedAt !== null) await this.change(user, 'totp_removed')
  }

  /**
   * Ten new recovery codes (shown once); the old set is void at once. 400 when the user has no
   * confirmed factor (recovery codes back up a factor).
   */
  async regenerateRecoveryCodes(userId: string, context: MfaContext): Promise<string[]> {
    const user = await this.user(userId)
    if (!(await this.hasFactor(userId))) {
      throw invalidRequest('recovery codes back up a second factor: enroll one first')
    }
    const codes = await this.replaceRecoveryCodes(userId)
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

  /**
   * An operator's reset (a user who lost every factor): deletes every factor and recovery code
   * of the user, audited with the actor, and the user is noticed. 404 for an unknown user.
   * Returns how many factors were deleted.
   */
  async reset(userId: string, actor: Actor): Promise<number> {
    const user = await this.user(userId)
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

  private secretOf(factor: MfaFactorRecord): string {
    return this.deps.sealer.open(factor.secret ?? '', mfaFactorContext(factor.id))
  }

  private async user(userId: string): Promise<UserRecord> {
    const user = await this.deps.store.users.findById(userId)
    if (!user) throw new ApiError('not_found', `no user ${userId}`)
    return user
  }

  private async replaceRecoveryCodes(userId: string): Promise<string[]> {
    const codes = newRecoveryCodes()
    const hashes = codes.map((c) => hashRecoveryCode(c) as string)
    await this.deps.store.recoveryCodes.replace(userId, hashes, this.now())
    return codes
  }

  private change(user: UserRecord, change: MfaChange): Promise<void> {
    return this.notices.send(user, { kind: 'mfa_changed', username: user.username, change })
  }
}

const totpEnrolled = () =>
  new ApiError('totp_enrolled', 'an authenticator app is already enrolled: remove it first')

const auditMeta = (userId: string, context: MfaContext) => ({
  userId,
  clientId: context.clientId,
  ip: context.ip,
  userAgent: context.userAgent,
})
