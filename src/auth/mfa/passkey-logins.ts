import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server'
import type { Clock } from '../../clock.js'
import type { Store } from '../../store/store.js'
import type { BrowserLogin, BrowserSessions, LoginContext } from '../browser-sessions.js'
import { sha256 } from '../sha256.js'
import { signInAmr } from './amr.js'
import { mfaTokenMaxAttempts, refuseAttempt } from './mfa-logins.js'
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

/** What could be an `mfa_token`: anything else is unknown without a lookup. */
const tokenShape = /^[A-Za-z0-9_-]{16,128}$/

/**
 * Passkey sign-ins at the hosted login page: alone, without a username (the browser session
 * starts with `hwk`/`swk user mfa`, `auth_time` now), or as the second step after a right
 * password (the `mfa_token` of that step names the user; its attempt limit counts a refused
 * passkey; the session starts with `pwd hwk|swk user mfa` and the password's `auth_time`).
 */
export class PasskeyLogins {
  constructor(private readonly deps: PasskeyLoginDeps) {}

  private now = () => new Date(this.deps.clock.now()).toISOString()

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
    const amr = signInAmr(false, passkey.method)
    const started = await this.deps.sessions.start(passkey.user, amr, this.now(), context)
    return { ok: true, ...started }
  }

  /**
   * The second step of `mfaToken` (a right password) completed with a passkey of its user. The
   * attempt is counted on the token before the passkey is checked (as for a code: no more
   * checks than the token's limit, however many run at once); a refused passkey that was the
   * last allowed attempt ends the token.
   */
  async secondFactor(
    mfaToken: string,
    response: AuthenticationResponseJSON,
    context: PageContext,
  ): Promise<PasskeyLoginOutcome> {
    const { store } = this.deps
    if (!tokenShape.test(mfaToken)) return { ok: false, reason: 'expired' }
    const hash = sha256(mfaToken)
    const { clientId } = context
    const reserved = await store.mfaTokens.reserveAttempt(
      hash,
      clientId,
      mfaTokenMaxAttempts,
      this.now(),
    )
    if (reserved === null) return { ok: false, reason: 'expired' }
    let passkey: Awaited<ReturnType<PasskeySignIn['verify']>>
    try {
      passkey = await this.deps.signIn.verify(response, reserved.userId, this.mfaContext(context))
    } catch (error) {
      await refuseAttempt(store, reserved, this.now())
      throw error
    }
    if (passkey === null) {
      const spent = await refuseAttempt(store, reserved, this.now())
      return { ok: false, reason: spent ? 'expired' : 'refused' }
    }
    const token = await store.mfaTokens.spend(hash, clientId, this.now())
    if (token === null) return { ok: false, reason: 'expired' }
    const amr = signInAmr(true, passkey.method)
    const started = await this.deps.sessions.start(passkey.user, amr, token.authTime, context)
    return { ok: true, ...started }
  }

  private liveToken(mfaToken: string, clientId: string) {
    if (!tokenShape.test(mfaToken)) return Promise.resolve(null)
    return this.deps.store.mfaTokens.findLive(sha256(mfaToken), clientId, this.now())
  }

  private mfaContext(context: PageContext) {
    return { clientId: context.clientId, ip: context.ip, userAgent: context.userAgent }
  }
}
