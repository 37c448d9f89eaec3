import type { Clock } from '../clock.js'
import type { BrowserSessionRecord, Store, UserRecord } from '../store/store.js'

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
}

/** How a sign-in at the hosted login page ended. */
export type LoginOutcome =
  /** Signed in: `cookie` is the new browser session's cookie value (shown to nobody else). */
  | { ok: true; login: BrowserLogin; cookie: string; deviceToken?: string }
  /**
   * Refused: one answer for an unknown user, a wrong password and a disabled account, after the
   * same work; `retryAfterSeconds` when the login throttle refused before any password work.
   */
  | {
      ok: false
      reason: 'invalid' | 'throttled' | 'email_not_verified'
      retryAfterSeconds?: number
    }

/**
 * PLACEHOLDER (its signatures are the contract): the provider's browser sessions, built by the
 * hosted-login helper. A login is throttled and audited exactly as the password grant.
 */
export class BrowserSessions {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}

  /** Signs in with a username (or email) and password; starts a browser session on success. */
  login(_username: string, _password: string, _context: LoginContext): Promise<LoginOutcome> {
    throw new Error('BrowserSessions.login is not implemented yet')
  }

  /**
   * The live browser session the cookie value names, with its enabled user, and moves its idle
   * expiry; null for no cookie, an unknown, ended or expired session, or a disabled user.
   */
  current(_cookie: string | null): Promise<BrowserLogin | null> {
    throw new Error('BrowserSessions.current is not implemented yet')
  }

  /** The browser session with this (public) id, ended or not; null when unknown. */
  findById(_id: string): Promise<BrowserSessionRecord | null> {
    throw new Error('BrowserSessions.findById is not implemented yet')
  }

  /** Ends the browser session and revokes the token sessions started from it. */
  end(_id: string): Promise<boolean> {
    throw new Error('BrowserSessions.end is not implemented yet')
  }
}
