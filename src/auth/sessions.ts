import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { invalidGrant, invalidTarget } from '../errors.js'
import type { SessionRecord, Store } from '../store/store.js'
import { refreshScope } from './scopes.js'
import { sha256 } from './sha256.js'

export interface SessionPolicy {
  idleTtlSeconds: number
  absoluteTtlSeconds: number
  /** Seconds during which a just-spent refresh token gets its same successor again; 0 = off. */
  graceSeconds: number
}

export interface SessionMeta {
  ip: string | null
  userAgent: string | null
}

export interface Rotation {
  session: SessionRecord
  refreshToken: string
  /** The scope of the new access token: the requested narrowing, or the session's scope. */
  scope: string
}

/**
 * How a session starts: with a refresh token, or without one (then it lives as long as its one
 * access token); for the audience `resource` (RFC 8707, null: Portcullis itself), from the
 * browser session `browserSessionId` (authorization code flow; null: the password grant); after
 * a sign-in by `amr` (RFC 8176; default `pwd`) at `authTime` (default now), which every token of
 * the session carries and a refresh keeps.
 */
export type StartOptions = (
  | { refreshToken: true }
  | { refreshToken: false; lifetimeSeconds: number }
) & {
  resource?: string | null
  browserSessionId?: string | null
  amr?: readonly string[]
  authTime?: string
}

/** What the refresh grant logs when it sees a spent token again (RFC 9700 §4.14.2). */
export interface ReuseEvent {
  sessionId: string
  userId: string
  /** Who presented the spent token. */
  ip?: string | null
  userAgent?: string | null
}

const digest = sha256
const iso = (ms: number) => new Date(ms).toISOString()
// 43 base64url characters: exactly what a 256-bit token encodes to.
const tokenShape = /^[A-Za-z0-9_-]{43}$/

/**
 * Sessions and their refresh tokens (RFC 6749 §6, RFC 9700 §4.14). A refresh token is 256 random
 * bits; only its SHA-256 is stored. Each use spends it atomically and issues the successor
 * HMAC(rotation key, token): unpredictable without the server's key, yet the same on every
 * retry, so a grace window can hand out the identical successor instead of a second one.
 * Presenting a spent token outside the grace window revokes the whole session.
 */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
    private readonly rotationKey: string,
    /**
     * `onReuse`: called when a spent refresh token is presented again; the server logs it.
     * `onRotate`: called for each refresh that returns a successor (the metrics count them).
     */
    private readonly hooks: {
      onReuse?: (event: ReuseEvent) => Promise<void> | void
      onRotate?: () => void
    } = {},
  ) {}

  /**
   * Starts a session for a fresh login; returns it with its first refresh token, or with none
   * (`refreshToken: false`, for a client without the refresh_token grant): then no token is
   * minted or stored, the session only carries the access tokens' `sid`, and it ends with its
   * one access token (`lifetimeSeconds`), not after the idle lifetime of refreshable sessions.
   */
  start(
    userId: string,
    clientId: string,
    scope: string,
    meta: SessionMeta,
  ): Promise<{ session: SessionRecord; refreshToken: string }>
  start(
    userId: string,
    clientId: string,
    scope: string,
    meta: SessionMeta,
    options: StartOptions,
  ): Promise<{ session: SessionRecord; refreshToken: string | null }>
  async start(
    userId: string,
    clientId: string,
    scope: string,
    meta: SessionMeta,
    options: StartOptions = { refreshToken: true },
  ) {
    const { session, refreshToken, refreshTokenHash } = this.prepare(
      userId,
      clientId,
      scope,
      meta,
      options,
    )
    await this.store.sessions.create(session, refreshTokenHash)
    return { session, refreshToken }
  }

  /**
   * The session `start` would store, with its first refresh token (and that token's hash, the
   * only form the store keeps), built but NOT stored: for a caller whose store operation inserts
   * the session atomically with something else (the authorization code's redemption, RFC 6749
   * §4.1.2: one code, one session).
   */
  prepare(
    userId: string,
    clientId: string,
    scope: string,
    meta: SessionMeta,
    options: StartOptions,
  ): { session: SessionRecord; refreshToken: string | null; refreshTokenHash: string | null } {
    const now = this.clock.now()
    const absolute = now + this.policy.absoluteTtlSeconds * 1000
    const idleSeconds = options.refreshToken ? this.policy.idleTtlSeconds : options.lifetimeSeconds
    const session: SessionRecord = {
      id: randomUUID(),
      userId,
      clientId,
      scope,
      ip: meta.ip,
      userAgent: meta.userAgent,
      createdAt: iso(now),
      lastUsedAt: iso(now),
      idleExpiresAt: iso(Math.min(now + idleSeconds * 1000, absolute)),
      absoluteExpiresAt: iso(absolute),
      revokedAt: null,
      resource: options.resource ?? null,
      browserSessionId: options.browserSessionId ?? null,
      amr: [...(options.amr ?? ['pwd'])],
      authTime: options.authTime ?? iso(now),
    }
    const refreshToken = options.refreshToken ? randomBytes(32).toString('base64url') : null
    return {
      session,
      refreshToken,
      refreshTokenHash: refreshToken === null ? null : digest(refreshToken),
    }
  }

  /** True when the session is neither revoked nor past its idle or absolute expiry. */
  isLive(session: SessionRecord): boolean {
    const now = this.nowIso()
    return (
      session.revokedAt === null && now < session.idleExpiresAt && now < session.absoluteExpiresAt
    )
  }

  /**
   * The refresh grant: spends `token` and returns its successor. Throws invalid_grant for an
   * unknown, expired or revoked token, one issued to another client or to a disabled or deleted
   * user, and for reuse (which also revokes the session); invalid_scope when `requestedScope`
   * widens the session's scope; invalid_target when `requestedResource` (RFC 8707) is not the
   * session's own resource (a refresh never moves a token to another audience).
   */
  async refresh(
    token: string,
    clientId: string,
    requestedScope: string | undefined,
    meta: Partial<SessionMeta> = {},
    requestedResource?: string,
  ): Promise<Rotation> {
    const record = tokenShape.test(token)
      ? await this.store.sessions.findRefreshToken(digest(token))
      : null
    const session = record ? await this.store.sessions.findById(record.sessionId) : null
    const user = session ? await this.store.users.findById(session.userId) : null
    // Checked before spending, so a refused attempt leaves the token as it was.
    if (
      !record ||
      !session ||
      !this.isLive(session) ||
      session.clientId !== clientId ||
      !user ||
      user.disabled
    ) {
      throw invalidGrant('the refresh token is invalid, expired or revoked')
    }
    const scope = refreshScope(session.scope, requestedScope)
    if (requestedResource !== undefined && requestedResource !== session.resource) {
      throw invalidTarget('resource must be the one the session was granted for')
    }
    const successor = createHmac('sha256', this.rotationKey).update(token).digest('base64url')
    const now = this.clock.now()
    const outcome =
      record.spentAt === null
        ? await this.store.sessions.rotate(
            record.hash,
            digest(successor),
            iso(now),
            iso(
              Math.min(
                now + this.policy.idleTtlSeconds * 1000,
                Date.parse(session.absoluteExpiresAt),
              ),
            ),
          )
        : 'spent'
    if (outcome === 'spent' && !(await this.withinGrace(record.hash, successor))) {
      await this.store.sessions.revoke(session.id, iso(now))
      await this.hooks.onReuse?.({ sessionId: session.id, userId: session.userId, ...meta })
      throw invalidGrant('the refresh token was already used; the session has been revoked')
    }
    this.hooks.onRotate?.()
    return { session, refreshToken: successor, scope }
  }

  /**
   * What introspection (RFC 7662) says of a refresh token: its live session and enabled user
   * while the token is unspent, else null. Nothing is spent or changed.
   */
  async inspectRefreshToken(token: string) {
    if (!tokenShape.test(token)) return null
    const record = await this.store.sessions.findRefreshToken(digest(token))
    if (!record || record.spentAt !== null) return null
    return this.findLive(record.sessionId)
  }

  /** The session id a refresh token (spent or not) belongs to, or null (RFC 7009 §2.2). */
  async sessionOfRefreshToken(token: string): Promise<string | null> {
    if (!tokenShape.test(token)) return null
    const record = await this.store.sessions.findRefreshToken(digest(token))
    return record?.sessionId ?? null
  }

  revoke(sessionId: string): Promise<boolean> {
    return this.store.sessions.revoke(sessionId, iso(this.clock.now()))
  }

  /** Ends every session of the user except `exceptId`. */
  revokeAll(userId: string, exceptId: string | null = null): Promise<number> {
    return this.store.sessions.revokeAllForUser(userId, iso(this.clock.now()), exceptId)
  }

  /** The user's live sessions, newest first. */
  async listLive(userId: string): Promise<SessionRecord[]> {
    return (await this.store.sessions.listForUser(userId)).filter((s) => this.isLive(s))
  }

  findById(id: string): Promise<SessionRecord | null> {
    return this.store.sessions.findById(id)
  }

  /** The session and its user in one lookup, for the per-request check. */
  findWithUser(id: string) {
    return this.store.sessions.findWithUser(id)
  }

  /**
   * What `findWithUser(id)` would answer, synchronously, while the status cache holds it fresh;
   * undefined when it does not (no cache, a miss, an expired entry, a suspended cache).
   */
  cachedWithUser(id: string) {
    return this.store.cachedSessionWithUser?.(id)
  }

  /** The session and its user while the session is live and the user enabled, else null. */
  async findLive(id: string) {
    const found = await this.store.sessions.findWithUser(id)
    return found && this.isLive(found.session) && !found.user.disabled ? found : null
  }

  /** Deletes dead sessions in small batches, yielding between them; returns how many. */
  async purge(batch = 500): Promise<number> {
    let total = 0
    for (;;) {
      const deleted = await this.store.sessions.purge(iso(this.clock.now()), batch)
      total += deleted
      if (deleted < batch) return total
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private lastNow = Number.NaN
  private lastIso = ''

  /** The clock as an ISO string, formatted once per millisecond (isLive runs per request). */
  private nowIso(): string {
    const now = this.clock.now()
    if (now !== this.lastNow) {
      this.lastNow = now
      this.lastIso = iso(now)
    }
    return this.lastIso
  }

  /** A spent token retried within the grace window whose successor is still unspent. */
  private async withinGrace(hash: string, successor: string): Promise<boolean> {
    if (this.policy.graceSeconds <= 0) return false
    const spent = await this.store.sessions.findRefreshToken(hash)
    const next = await this.store.sessions.findRefreshToken(digest(successor))
    if (!spent?.spentAt || !next || next.spentAt !== null) return false
    return this.clock.now() - Date.parse(spent.spentAt) <= this.policy.graceSeconds * 1000
  }
}
