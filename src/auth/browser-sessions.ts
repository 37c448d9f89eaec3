import { randomBytes, randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { BrowserSessionRecord, Store, UserRecord } from '../store/store.js'
import { type PasswordLoginServices, passwordLogin } from './password-login.js'
import { sha256 } from './sha256.js'

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

/** How long browser sessions live, and whether a login needs a verified address. */
export interface BrowserSessionPolicy {
  /** A session ends after this many seconds without use. */
  idleTtlSeconds: number
  /** A session ends this many seconds after the login, however it is used. */
  absoluteTtlSeconds: number
  /** PORTCULLIS_REQUIRE_VERIFIED_EMAIL: as the password grant. */
  requireVerifiedEmail?: boolean | undefined
}

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
      if (error instanceof ApiError && error.code === 'too_many_requests') {
        const retryAfterSeconds = Number(error.headers['retry-after'] ?? '60')
        return { ok: false, reason: 'throttled', retryAfterSeconds }
      }
      throw error
    }
    if (!result.ok) return { ok: false, reason: result.reason }
    const { user, deviceToken } = result
    const now = this.clock.now()
    const cookie = randomBytes(32).toString('base64url')
    const absoluteExpires = now + this.policy.absoluteTtlSeconds * 1000
    const session: BrowserSessionRecord = {
      id: randomUUID(),
      secretHash: hashCookie(cookie),
      userId: user.id,
      authTime: iso(now),
      amr: ['pwd'],
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
      clientId: passwordContext.clientId,
      ip: context.ip,
      userAgent: context.userAgent,
      detail: { browser_session_id: session.id, amr: session.amr },
    })
    return {
      ok: true,
      login: { session, user },
      cookie,
      ...(deviceToken === null ? {} : { deviceToken }),
    }
  }

  /**
   * The live browser session the cookie value names, with its enabled user, and moves its idle
   * expiry; null for no cookie, an unknown, ended or expired session, or a disabled user.
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

  /** The browser session with this (public) id, ended or not; null when unknown. */
  findById(id: string): Promise<BrowserSessionRecord | null> {
    return this.store.browserSessions.findById(id)
  }

  /** Ends the browser session and revokes the token sessions started from it. */
  end(id: string): Promise<boolean> {
    return this.store.browserSessions.end(id, iso(this.clock.now()))
  }
}
