import type { Clock } from '../../clock.js'
import { ApiError } from '../../errors.js'
import type { MfaFactorRecord, Store, UserRecord } from '../../store/store.js'
import type { AuditService } from '../audit.js'
import type { EmailTokens } from '../email-tokens.js'
import type { KeySealer } from '../key-sealer.js'

/** Who acts, as the HTTP layer saw it (for the audit log). */
export interface MfaContext {
  clientId: string | null
  ip: string
  userAgent: string | null
  /**
   * The token session making the change, if any: adding a factor ends the user's sign-ins by
   * password alone except this one (whose refresh the factor then refuses anyway).
   */
  sessionId?: string | null
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

/** Which second factors a user has on (the admin view). */
export interface MfaStatus {
  totp: boolean
  passkeys: number
  recoveryCodesRemaining: number
}

export interface MfaServiceDeps {
  store: Pick<Store, 'mfaFactors' | 'recoveryCodes' | 'users' | 'sessions'>
  sealer: KeySealer
  clock: Clock
  audit: AuditService
  emailTokens: Pick<EmailTokens, 'notify'>
  /** The server secret `recovery-code-key`: the HMAC key of stored recovery codes. */
  recoveryCodeKey: string
}

export interface MfaServiceOptions {
  /** The `otpauth` issuer label (what authenticator apps show). */
  productName: string
  /** Whether notices are emailed (the email flows are on). */
  notices: boolean
}

/** The audit fields of a user's own action. */
export const auditMeta = (userId: string | null, context: MfaContext) => ({
  userId,
  clientId: context.clientId,
  ip: context.ip,
  userAgent: context.userAgent,
})

/** The user `userId`; 404 when there is none. */
export async function requireUser(
  store: Pick<Store, 'users'>,
  userId: string,
): Promise<UserRecord> {
  const user = await store.users.findById(userId)
  if (!user) throw new ApiError('not_found', `no user ${userId}`)
  return user
}

/**
 * Ends the user's sign-ins by password alone (token sessions, but the one making the change,
 * and browser logins) once a factor is added: whoever had only the password keeps nothing, and
 * a stolen session cannot come back if the factor is later removed. Returns how many ended.
 */
export function endSingleFactorSignIns(
  store: Pick<Store, 'sessions'>,
  userId: string,
  at: string,
  context: MfaContext,
): Promise<number> {
  return store.sessions.revokeSingleFactorForUser(userId, at, context.sessionId ?? null)
}
