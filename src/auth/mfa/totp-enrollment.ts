import { randomUUID } from 'node:crypto'
import { ApiError, invalidRequest } from '../../errors.js'
import type { MfaFactorRecord, UserRecord } from '../../store/store.js'
import { UniqueViolationError } from '../../store/store.js'
import { type KeySealer, mfaFactorContext } from '../key-sealer.js'
import type { MfaNotices } from './mfa-notices.js'
import {
  auditMeta,
  endSingleFactorSignIns,
  type MfaContext,
  type MfaServiceDeps,
  requireUser,
  type TotpEnrollment,
} from './mfa-types.js'
import type { RecoveryCodes } from './recovery-codes.js'
import { matchTotp, newTotpSecret, qrSvg, totpShape, totpUri } from './totp.js'

const totpName = 'Authenticator app'
const noTotp = () => new ApiError('not_found', 'no authenticator app is enrolled')
const wrongCode = () => invalidRequest('the code is wrong or expired: enter the current code')
const totpEnrolled = () =>
  new ApiError('totp_enrolled', 'an authenticator app is already enrolled: remove it first')

/** The plaintext base32 secret of a TOTP factor (sealed at rest when a key is set). */
export const openTotpSecret = (sealer: KeySealer, factor: MfaFactorRecord): string =>
  sealer.open(factor.secret ?? '', mfaFactorContext(factor.id))

/**
 * A user's authenticator app (RFC 6238): enrollment as a pending factor, confirmation by its
 * first code (which returns the recovery codes), removal. Part of MfaService.
 */
export class TotpEnrollments {
  constructor(
    private readonly deps: MfaServiceDeps,
    private readonly notices: MfaNotices,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly productName: string,
  ) {}

  private now = () => new Date(this.deps.clock.now()).toISOString()

  /**
   * Starts a TOTP enrollment: a new secret, stored sealed in a pending factor (replacing a
   * pending one). 409 `totp_enrolled` when the user already has a confirmed one (remove it
   * first). Nothing changes at sign-in until `confirmTotp`.
   */
  async enroll(user: UserRecord, context: MfaContext): Promise<TotpEnrollment> {
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
    const otpauthUri = totpUri(secret, this.productName, user.username)
    return { secret, otpauthUri, qrSvg: await qrSvg(otpauthUri) }
  }

  /**
   * Confirms the pending TOTP enrollment with a current code (which is then used up) and returns
   * ten new recovery codes, shown once (any older set is void). 404 without a pending enrollment,
   * 400 for a wrong code (the enrollment stays pending).
   */
  async confirm(userId: string, code: string, context: MfaContext): Promise<string[]> {
    const { store } = this.deps
    const user = await requireUser(this.deps.store, userId)
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
      totp === null
        ? null
        : matchTotp(openTotpSecret(this.deps.sealer, pending), totp, this.deps.clock.now())
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
    const codes = await this.recoveryCodes.issue(userId, at)
    await endSingleFactorSignIns(store, userId, at, context)
    await this.deps.audit.record({
      type: 'mfa.totp_confirm',
      ...auditMeta(userId, context),
      detail: { factor_id: pending.id },
    })
    await this.notices.send(user, {
      kind: 'mfa_changed',
      username: user.username,
      change: 'totp_added',
    })
    return codes
  }

  /**
   * Removes the user's authenticator app (pending or confirmed); with the last factor gone, the
   * recovery codes go too (the store does it). 404 when there is none.
   */
  async remove(userId: string, context: MfaContext): Promise<void> {
    const user = await requireUser(this.deps.store, userId)
    const factor = (await this.deps.store.mfaFactors.listForUser(userId)).find(
      (f) => f.kind === 'totp',
    )
    if (!factor || !(await this.deps.store.mfaFactors.delete(factor.id, userId))) throw noTotp()
    await this.deps.audit.record({
      type: 'mfa.totp_remove',
      ...auditMeta(userId, context),
      detail: { factor_id: factor.id },
    })
    if (factor.confirmedAt !== null) {
      await this.notices.send(user, {
        kind: 'mfa_changed',
        username: user.username,
        change: 'totp_removed',
      })
    }
  }
}
