import { randomBytes, randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { BrowserSessionRecord, Store, UserRecord } from '../store/store.js'
import type {
  BrowserLogin,
  BrowserSessionPolicy,
  LoginContext,
  LoginOutcome,
  SecondStepOutcome,
  SecondStepServices,
} from './browser-login.js'
import {
  beginEnrollment,
  completeSecondFactor,
  type SecondStepDeps,
  throttledOutcome,
} from './login-second-step.js'
import { isMultiFactor, signInAmr } from './mfa/amr.js'
import type { TotpEnrollment } from './mfa/mfa-service.js'
import { type PasswordLoginServices, passwordLogin } from './password-login.js'
import { sha256 } from './sha256.js'

export type * from './browser-login.js'

// 256 random bits, base64url: 43 characters. Anything else cannot be a cookie we set.
const cookiePattern = /^[A-Za-z0-9_-]{43}$/
/** The SHA-256 (base64url) of a cookie value: all the store holds of it. */
const hashCookie = sha256
/**
 * The idle expiry moves at most once a minute: each authorization request would otherwise
 * write the row, and a minute is nothing against an idle lifetime of at least five.
 */
const touchIntervalMs = 60_000
const iso = (ms: number) => new Date(ms).toISOString()
/**
 * How long after an enrollment its "Continue" may still go on with the authorization request as
 * a fresh login: the time to copy ten recovery codes, not long enough to stand in for a login
 * that `prompt=login` or `max_age` asks for later.
 */
const continueWindowMs = 15 * 60_000

/**
 * The provider's login sessions in browsers (OpenID Connect's "session at the OP"): what lets a
 * second authorization request sign in without a password. A login is throttled, checked and
 * audited by `passwordLogin`, the one implementation the password grant uses too, so the hosted
 * page and `POST /token` share their counters. The cookie value is 256 random bits; the store
 * keeps only its SHA-256, so a copy of the database lets nobody act as a session. A session is
 * live until it is ended (logout, or the end of all the user's sessions), idle too long, past
 * its absolute lifetime, or its user is disabled.
 */
export class BrowserSessions {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
    private readonly services: PasswordLoginServices,
    private readonly policy: BrowserSessionPolicy,
    private readonly second: SecondStepServices,
  ) {}

  /** Signs in with a username (or email) and password; starts a browser session on success. */
  async login(username: string, password: string, context: LoginContext): Promise<LoginOutcome> {
    const passwordContext = {
      clientId: context.clientId ?? null,
      ip: context.ip,
      userAgent: context.userAgent,
      deviceToken: context.deviceToken,
    }
    let result: Awaited<ReturnType<typeof passwordLogin>>
    try {
      result = await passwordLogin(this.services, this.policy, username, password, passwordContext)
    } catch (error) {
      const throttled = throttledOutcome(error)
      if (throttled) return throttled
      throw error
    }
    if (!result.ok) return { ok: false, reason: result.reason }
    const { user } = result
    const deviceToken = result.deviceToken === null ? {} : { deviceToken: result.deviceToken }
    // A right password is only the first step for a user with a factor, or whose role needs one.
    const methods = await this.second.mfa.methods(user.id)
    const required = this.policy.mfaRequiredRoles ?? []
    const reason =
      methods.length > 0
        ? 'second_factor'
        : user.roles.some((role) => required.includes(role))
          ? 'enroll'
          : null
    if (reason !== null) {
      const grant = { scope: context.scope ?? '', resource: context.resource ?? null }
      const mfaToken = await this.second.mfaLogins.start(
        user,
        passwordContext.clientId ?? '',
        grant,
        {
          clientId: passwordContext.clientId,
          ip: context.ip,
          userAgent: context.userAgent,
        },
      )
      return { ok: false, reason, mfaToken, methods, ...deviceToken }
    }
    const now = this.clock.now()
    const started = await this.start(user, signInAmr(true, null), iso(now), context)
    return { ok: true, ...started, ...deviceToken }
  }

  /**
   * The second step of a page sign-in (`completeSecondFactor` in login-second-step.ts): the code
   * completes `mfaToken`, then the browser session starts with the sign-in's `amr`.
   */
  completeSecondFactor(
    mfaToken: string,
    code: string,
    context: LoginContext & { clientId: string },
  ): Promise<SecondStepOutcome> {
    return completeSecondFactor(this.stepDeps(), mfaToken, code, context)
  }

  /** The enrollment a sign-in of a required role shows (`beginEnrollment`, login-second-step.ts). */
  beginEnrollment(
    mfaToken: string,
    context: LoginContext & { clientId: string },
  ): Promise<TotpEnrollment | null> {
    return beginEnrollment(this.second, mfaToken, context)
  }

  private stepDeps(): SecondStepDeps {
    return {
      ...this.second,
      store: this.store,
      clock: this.clock,
      start: (user, amr, authTime, context) => this.start(user, amr, authTime, context),
    }
  }

  /**
   * The browser session `sessionId` of this cookie when it began less than a quarter hour ago
   * with a second factor: the "Continue" after an enrollment's recovery codes goes on as a fresh
   * login only then. Null otherwise (the page then asks the flow as for any session).
   */
  async justSignedIn(cookie: string | null, sessionId: string): Promise<BrowserLogin | null> {
    const login = await this.current(cookie)
    if (login === null || login.session.id !== sessionId) return null
    const age = this.clock.now() - Date.parse(login.session.createdAt)
    if (age > continueWindowMs || !login.session.amr.includes('mfa')) return null
    return login
  }

  /**
   * Starts a browser session for `user` signed in by `amr` (signInAmr) at `authTime`, audited
   * `login.success`. Security invariant: only after the caller has verified every factor `amr`
   * names (the password, the code, the passkey's assertion).
   */
  async start(
    user: UserRecord,
    amr: string[],
    authTime: string,
    context: LoginContext,
  ): Promise<{ login: BrowserLogin; cookie: string }> {
    const now = this.clock.now()
    const cookie = randomBytes(32).toString('base64url')
    const absoluteExpires = now + this.policy.absoluteTtlSeconds * 1000
    const session: BrowserSessionRecord = {
      id: randomUUID(),
      secretHash: hashCookie(cookie),
      userId: user.id,
      authTime,
      amr,
      ip: context.ip,
      userAgent: context.userAgent,
      createdAt: iso(now),
      lastSeenAt: iso(now),
      idleExpiresAt: iso(Math.min(now + this.policy.idleTtlSeconds * 1000, absoluteExpires)),
      absoluteExpiresAt: iso(absoluteExpires),
      endedAt: null,
    }
    await this.store.browserSessions.create(session)
    await this.services.audit.record({
      type: 'login.success',
      userId: user.id,
      clientId: context.clientId ?? null,
      ip: context.ip,
      userAgent: context.userAgent,
      detail: { browser_session_id: session.id, amr: session.amr },
    })
    return { login: { session, user }, cookie }
  }

  /**
   * The live browser session the cookie value names, with its enabled user, and moves its idle
   * expiry; null for no cookie, an unknown, ended or expired session, a disabled user, or a
   * password-only sign-in of a user who now needs a second factor (has one, or a role that
   * requires one).
   */
  async current(cookie: string | null): Promise<BrowserLogin | null> {
    if (cookie === null || !cookiePattern.test(cookie)) return null
    const found = await this.store.browserSessions.findBySecret(hashCookie(cookie))
    if (found === null) return null
    const { session, user } = found
    const now = this.clock.now()
    if (
      session.endedAt !== null ||
      now >= Date.parse(session.idleExpiresAt) ||
      now >= Date.parse(session.absoluteExpiresAt) ||
      user.disabled
    ) {
      return null
    }
    // A sign-in by password alone signs in no more once the account needs a second factor (it
    // has one, or a role that requires one): the session must not stand in for a step it never
    // passed, and the login page then asks for it (or walks the user through enrolling).
    if (!isMultiFactor(session.amr) && (await this.needsSecondFactor(user))) return null
    if (now - Date.parse(session.lastSeenAt) < touchIntervalMs) return { session, user }
    const lastSeenAt = iso(now)
    const idleExpiresAt = iso(
      Math.min(now + this.policy.idleTtlSeconds * 1000, Date.parse(session.absoluteExpiresAt)),
    )
    if (!(await this.store.browserSessions.touch(session.id, lastSeenAt, idleExpiresAt))) {
      return null
    }
    return { session: { ...session, lastSeenAt, idleExpiresAt }, user }
  }

  private async needsSecondFactor(user: UserRecord): Promise<boolean> {
    const required = this.policy.mfaRequiredRoles ?? []
    if (user.roles.some((role) => required.includes(role))) return true
    return this.second.mfa.hasFactor(user.id)
  }

  /** The browser session with this (public) id, ended or not; null when unknown. */
  findById(id: string): Promise<BrowserSessionRecord | null> {
    return this.store.browserSessions.findById(id)
  }

  /** Ends the browser session and revokes the token sessions started from it. */
  end(id: string): Promise<boolean> {
    return this.store.browserSessions.end(id, iso(this.clock.now()))
  }
}
