import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server'
import type { Clock } from '../../clock.js'
import type { Store } from '../../store/store.js'
import type { BrowserLogin, BrowserSessions, LoginContext } from '../browser-sessions.js'
import { sha256 } from '../sha256.js'
import { signInAmr } from './amr.js'
import { mfaTokenMaxAttempts } from './mfa-logins.js'
import type { PasskeySignIn } from './passkey-sign-in.js'

export interface PasskeyLoginDeps {
  signIn: PasskeySignIn
  sessions: Pick<BrowserSessions, 'start'>
  store: Pick<Store, 'mfaTokens'>
  clock: Clock
}

/** How a passkey sign-in at the hosted page ended. */
export type PasskeyLoginOutcome =
  | { ok: true; login: BrowserLogin; cookie: string }
  /** `refused`: the passkey was not accepted (try again); `expired`: the second step's token is gone. */
  | { ok: false; reason: 'refused' | 'expired' }

type PageContext = LoginContext & { clientId: string }

/**
 * Passkey sign-ins at the hosted login page: alone, without a username (the browser session
 * starts with `hwk`/`swk user mfa`, `auth_time` now), or as the second step after a right
 * password (the `mfa_token` of that step names the user; its attempt limit counts a refused
 * passkey; the session starts with `pwd hwk|swk user mfa` and the password's `auth_time`).
 */
export class PasskeyLogins {
  constructor(private readonly deps: PasskeyLoginDeps) {}

  /**
   * Request options: username-less for `mfaToken` null; else the user's passkeys of the live
   * token (of `clientId`), or null when the token is unknown, spent or expired.
   */
  async options(
    mfaToken: string | null,
    clientId: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    if (mfaToken === null) return this.deps.signIn.options(null)
    const token = await this.liveToken(mfaToken, clientId)
    return token === null ? null : this.deps.signIn.options(token.userId)
  }

  /** A username-less sign-in with a discoverable passkey. */
  async signIn(
    response: AuthenticationResponseJSON,
    context: PageContext,
  ): Promise<PasskeyLoginOutcome> {
    const passkey = await this.deps.signIn.verify(response, null, this.mfaContext(context))
    if (passkey === null) return { ok: false, reason: 'refused' }
    const now = new Date(this.deps.clock.now()).toISOString()
    const amr = signInAmr(false, passkey.method)
    return { ok: true, ...(await this.deps.sessions.start(passkey.user, amr, now, context)) }
  }

  /** The second step of `mfaToken` (a right password) completed with a passkey of its user. */
  async secondFactor(
    mfaToken: string,
    response: AuthenticationResponseJSON,
    context: PageContext,
  ): Promise<PasskeyLoginOutcome> {
    const { store, clock } = this.deps
    const token = await this.liveToken(mfaToken, context.clientId)
    if (token === null) return { ok: false, reason: 'expired' }
    const passkey = await this.deps.signIn.verify(response, token.userId, this.mfaContext(context))
    const result = await store.mfaTokens.attempt(
      sha256(mfaToken),
      context.clientId,
      passkey !== null,
      mfaTokenMaxAttempts,
      new Date(clock.now()).toISOString(),
    )
    if (result.outcome === 'invalid') return { ok: false, reason: 'expired' }
    if (result.outcome === 'rejected' || passkey === null) {
      return {
        ok: false,
        reason: result.outcome === 'rejected' && result.spent ? 'expired' : 'refused',
      }
    }
    const amr = signInAmr(true, passkey.method)
    const started = await this.deps.sessions.start(
      passkey.user,
      amr,
      result.token.authTime,
      context,
    )
    return { ok: true, ...started }
  }

  private liveToken(mfaToken: string, clientId: string) {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(mfaToken)) return Promise.resolve(null)
    const at = new Date(this.deps.clock.now()).toISOString()
    return this.deps.store.mfaTokens.findLive(sha256(mfaToken), clientId, at)
  }

  private mfaContext(context: PageContext) {
    return { clientId: context.clientId, ip: context.ip, userAgent: context.userAgent }
  }
}
