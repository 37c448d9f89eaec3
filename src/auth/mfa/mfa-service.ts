import type { UserRecord } from '../../store/store.js'

/** Who acts, as the HTTP layer saw it (for the audit log). */
export interface MfaContext {
  clientId: string | null
  ip: string
  userAgent: string | null
}

/** The second factors a sign-in can be completed with (the password grant's `mfa_methods`). */
export type MfaMethod = 'totp' | 'recovery_code' | 'passkey'

/**
 * A user's second factors: TOTP (RFC 6238) enrollment, confirmation and checks, recovery codes,
 * listing and removal, an operator's reset. Every enrollment, removal, success, failure and
 * recovery-code use is audited. No throttling here: the callers (the password grant's second
 * step, the login page) throttle before asking.
 *
 * PLACEHOLDER contract: the bodies are written by the TOTP helper.
 */
export class MfaService {
  /**
   * The methods the user can complete a sign-in with, from confirmed factors only (a pending
   * TOTP enrollment changes nothing): `totp`, `recovery_code` while unused codes remain,
   * `passkey`. Empty: the user has no second factor.
   */
  async methods(_userId: string): Promise<MfaMethod[]> {
    throw new Error('MfaService.methods is not implemented yet')
  }

  /** Whether the user has a confirmed factor (TOTP or passkey): step-up and the policy ask. */
  async hasFactor(_userId: string): Promise<boolean> {
    throw new Error('MfaService.hasFactor is not implemented yet')
  }

  /**
   * Checks `code` as the user's TOTP code (±1 step, never a step twice) or, failing that, as one
   * of their unused recovery codes (spent on success, and the user is noticed by email); audits
   * the outcome. Returns how it matched, or null.
   */
  async verifyCode(
    _user: UserRecord,
    _code: string,
    _context: MfaContext,
  ): Promise<'totp' | 'recovery_code' | null> {
    throw new Error('MfaService.verifyCode is not implemented yet')
  }

  /**
   * Confirms the pending TOTP enrollment with a current code; returns ten new recovery codes,
   * shown once. 400 for a wrong code, 404 without a pending enrollment.
   */
  async confirmTotp(_userId: string, _code: string, _context: MfaContext): Promise<string[]> {
    throw new Error('MfaService.confirmTotp is not implemented yet')
  }
}
