/**
 * The contracts of a sign-in at the hosted login page: who signs in, how it ended, and the
 * second step's outcomes. BrowserSessions (src/auth/browser-sessions.ts) implements them.
 */
import type { BrowserSessionRecord, UserRecord } from '../store/store.js'
import type { MfaLogins } from './mfa/mfa-logins.js'
import type { MfaMethod, MfaService } from './mfa/mfa-service.js'

/** A live browser session and its enabled user. */
export interface BrowserLogin {
  session: BrowserSessionRecord
  user: UserRecord
}

/** Who signs in at the hosted login page, as the HTTP layer saw it. */
export interface LoginContext {
  ip: string
  userAgent: string | null
  /** The `device_token` cookie/field of an earlier login on this device (login throttle). */
  deviceToken?: string | undefined
  /** The client of the authorization request the login is for (audit); null or absent: none. */
  clientId?: string | null
  /** The scope and resource the request asks for (carried by a second step's token). */
  scope?: string | undefined
  resource?: string | null | undefined
}

/** How a sign-in at the hosted login page ended. */
export type LoginOutcome =
  /** Signed in: `cookie` is the new browser session's cookie value (shown to nobody else). */
  | { ok: true; login: BrowserLogin; cookie: string; deviceToken?: string }
  /**
   * Right password, no session yet: the user completes the sign-in with one of `methods`
   * (`second_factor`), or enrolls a factor first because a role requires one (`enroll`).
   * `mfaToken` carries the password's proof to that step (MfaLogins); never put it in a URL.
   */
  | {
      ok: false
      reason: 'second_factor' | 'enroll'
      mfaToken: string
      methods: MfaMethod[]
      deviceToken?: string
    }
  /**
   * Refused: one answer for an unknown user, a wrong password and a disabled account, after the
   * same work; `retryAfterSeconds` when the login throttle refused before any password work.
   */
  | {
      ok: false
      reason: 'invalid' | 'throttled' | 'email_not_verified'
      retryAfterSeconds?: number
    }

/** How long browser sessions live, and whether a login needs a verified address. */
export interface BrowserSessionPolicy {
  /** A session ends after this many seconds without use. */
  idleTtlSeconds: number
  /** A session ends this many seconds after the login, however it is used. */
  absoluteTtlSeconds: number
  /** PORTCULLIS_REQUIRE_VERIFIED_EMAIL: as the password grant. */
  requireVerifiedEmail?: boolean | undefined
  /** PORTCULLIS_MFA_REQUIRED_ROLES: users with one of these roles enroll before signing in. */
  mfaRequiredRoles?: readonly string[] | undefined
}

/** The second step of a sign-in: the factors and the step's tokens. */
export interface SecondStepServices {
  mfa: Pick<MfaService, 'methods' | 'hasFactor' | 'enrollTotp'>
  mfaLogins: Pick<MfaLogins, 'start' | 'complete' | 'userOf'>
}

/** How the page's second step (or enrollment) ended when it did not sign in. */
export type SecondStepRefusal =
  /** A wrong code; the same form can be sent again (its token is still live). */
  | { ok: false; reason: 'wrong_code' }
  /** The token is unknown, spent (by a success or too many wrong codes) or expired. */
  | { ok: false; reason: 'expired' }
  /** The account's second-factor attempts are throttled (as the password grant's). */
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }

/**
 * A sign-in completed by its second step; `recoveryCodes` when that step confirmed an
 * enrollment (shown once, then the sign-in continues).
 */
export type SecondStepOutcome =
  | { ok: true; login: BrowserLogin; cookie: string; recoveryCodes?: string[] }
  | SecondStepRefusal
