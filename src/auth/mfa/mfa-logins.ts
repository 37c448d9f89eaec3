import type { UserRecord } from '../../store/store.js'
import type { MfaContext } from './mfa-service.js'

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
}

/**
 * The step between a right password and its second factor: the password grant's `mfa_token`
 * (and the login page's second form). A token is opaque (256 random bits), stored only as its
 * SHA-256, valid 5 minutes, bound to the client and the first step's grant, and spent by a
 * success or by the fifth wrong code. Wrong codes are throttled per account like passwords.
 *
 * PLACEHOLDER contract: the bodies are written by the password-grant helper.
 */
export class MfaLogins {
  /** Starts the second step for `user` after a right password; returns the `mfa_token`. */
  async start(
    _user: UserRecord,
    _clientId: string,
    _grant: PendingGrant,
    _context: MfaContext,
  ): Promise<string> {
    throw new Error('MfaLogins.start is not implemented yet')
  }

  /**
   * Completes the sign-in of `mfaToken` (of `clientId`) with `otp` (a TOTP or recovery code).
   * Throws 400 invalid_grant when the token is unknown, spent, expired or another client's, or
   * the code is wrong; 429 when the account's second-factor attempts are throttled.
   */
  async complete(
    _mfaToken: string,
    _clientId: string,
    _otp: string,
    _context: MfaContext,
  ): Promise<CompletedLogin> {
    throw new Error('MfaLogins.complete is not implemented yet')
  }
}
