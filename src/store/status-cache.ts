import type { Clock } from '../clock.js'
import { followStatusChanges, type StatusCacheLog } from './invalidation-follow.js'
import type {
  AuthorizationCodeStore,
  BrowserSessionStore,
  ConsentStore,
  EmailTokenStore,
  MfaFactorStore,
  MfaTokenStore,
  RecoveryCodeStore,
  SessionRecord,
  SessionStore,
  Store,
  UserRecord,
  UserStore,
  WebAuthnChallengeStore,
} from './store.js'
import { TtlCache } from './ttl-cache.js'

/**
 * A rule for every method of `S`, so a method added to the store interface and not classified
 * here does not compile: no write can pass the cache without forgetting what it changed. A rule
 * is `'pass'` (a read, or a write that changes nothing cached), a TtlCache that serves the method
 * (a lookup by its first argument), or, for a write, a function called with the write's
 * arguments to forget what it affects, before the write and again after it (so a read that
 * overlapped the write caches nothing).
 */
export type CacheRules<S> = {
  [K in keyof S]-?: S[K] extends (...args: infer A) => Promise<infer R>
    ? 'pass' | TtlCache<R> | ((...args: A) => void)
    : never
}

/**
 * `store` with each method wrapped by its rule; methods are looked up on `store` at each call.
 * A write, once done and forgotten, awaits `settle` (if given) before it returns.
 */
export function cached<S extends object>(
  store: S,
  rules: CacheRules<S>,
  settle?: () => Promise<void>,
): S {
  type Fn = (...args: unknown[]) => Promise<unknown>
  const call = (name: string, args: unknown[]) =>
    ((store as Record<string, Fn>)[name] as Fn)(...args)
  const wrapped: Record<string, unknown> = {}
  for (const [name, rule] of Object.entries(rules as Record<string, unknown>)) {
    if (rule === 'pass') wrapped[name] = (...args: unknown[]) => call(name, args)
    else if (rule instanceof TtlCache) {
      wrapped[name] = (key: string) => rule.get(key, () => call(name, [key]))
    } else {
      const forget = rule as (...args: unknown[]) => void
      wrapped[name] = async (...args: unknown[]) => {
        forget(...args)
        let result: unknown
        try {
          result = await call(name, args)
        } finally {
          forget(...args)
        }
        if (settle) await settle()
        return result
      }
    }
  }
  return wrapped as S
}

/**
 * Wraps a store so the lookups every protected request makes (`sessions.findWithUser`, and
 * `users.findById` / `sessions.findById`) are served from memory for at most `ttlMs`. Every
 * write made through this store drops what it affects at once. A write made elsewhere (another
 * instance, the CLI) is seen within `ttlMs` on a store without `statusChanges` (SQLite): the
 * bound on how long a disabled user or an ended session elsewhere keeps working. With
 * `statusChanges` (PostgreSQL) it is seen as soon as it commits: each change evicts what it
 * names, and while the feed is not listening (not yet connected, dropped, reconnecting) nothing
 * is served from memory; when it listens again everything is forgotten before caching resumes.
 * An eviction during a read keeps that read's result out of the cache. `ttlMs` 0 returns the
 * store unchanged.
 */
export function withStatusCache(
  store: Store,
  clock: Clock,
  ttlMs: number,
  log?: StatusCacheLog,
): Store {
  if (ttlMs <= 0) return store
  const now = () => clock.now()
  const userCache = new TtlCache<UserRecord | null>(now, ttlMs)
  const sessionCache = new TtlCache<SessionRecord | null>(now, ttlMs)
  // Keyed by session id. Any user write clears it whole: writes are rare, reads constant.
  const pairCache = new TtlCache<{ session: SessionRecord; user: UserRecord } | null>(now, ttlMs)
  const forgetUser = (id: string) => {
    userCache.forget(id)
    pairCache.forgetAll()
  }
  const forgetSession = (id: string) => {
    sessionCache.forget(id)
    pairCache.forget(id)
  }
  const forgetAll =
    (...caches: TtlCache<unknown>[]) =>
    () => {
      for (const cache of caches) cache.forgetAll()
    }
  const forgetUsers = forgetAll(userCache, pairCache)
  const forgetSessions = forgetAll(sessionCache, pairCache)
  const forgetEverything = forgetAll(userCache, sessionCache, pairCache)
  // PostgreSQL: a write returns once the other instances have been told (see `settle`).
  const changes = store.statusChanges
  const settle = changes && (() => changes.settle())
  if (changes) {
    followStatusChanges(
      changes,
      [userCache, sessionCache, pairCache],
      { user: forgetUser, session: forgetSession, everything: forgetEverything },
      log,
    )
  }
  const users = cached<UserStore>(
    store.users,
    {
      findById: userCache,
      findByUsername: 'pass',
      findByEmail: 'pass',
      maxLegacyCost: 'pass',
      search: 'pass',
      anyEnabledWithRole: 'pass',
      page: 'pass',
      create: (user) => forgetUser(user.id),
      insertRecord: (user) => forgetUser(user.id),
      replacePasswordHash: forgetUser,
      setDisabled: forgetUser,
      setEmailVerified: forgetUser,
      setRoles: forgetUser,
      // Any id may be among the batch, including ids cached as missing.
      importMany: forgetUsers,
      // Deleting a user also deletes its sessions (cascade).
      delete: forgetEverything,
      deleteUnlessLastHolder: forgetEverything,
    },
    settle,
  )
  const sessions = cached<SessionStore>(
    store.sessions,
    {
      findById: sessionCache,
      findWithUser: pairCache,
      listForUser: 'pass',
      findRefreshToken: 'pass',
      page: 'pass',
      pageRefreshTokens: 'pass',
      // Refresh tokens are not cached.
      insertRefreshToken: 'pass',
      create: (session) => forgetSession(session.id),
      revoke: forgetSession,
      revokeAllForUser: forgetSessions,
      revokeSingleFactorForUser: forgetSessions,
      revokeAllForClient: forgetSessions,
      rotate: forgetSessions,
      insertRecord: (session) => forgetSession(session.id),
      purge: forgetSessions,
    },
    settle,
  )
  // Redeeming rewrites the user (verified, new address, new password) and a reset revokes
  // every session of the user: all of it must be forgotten at once. Tokens are not cached.
  const emailTokens = cached<EmailTokenStore>(
    store.emailTokens,
    {
      issue: 'pass',
      find: 'pass',
      voidForUser: 'pass',
      purge: 'pass',
      page: 'pass',
      insertRecord: 'pass',
      redeem: forgetEverything,
    },
    settle,
  )
  // Redeeming inserts a session, or revokes the one a first redemption started.
  const authorizationCodes = cached<AuthorizationCodeStore>(
    store.authorizationCodes,
    {
      insert: 'pass',
      find: 'pass',
      purge: 'pass',
      page: 'pass',
      insertRecord: 'pass',
      redeem: forgetSessions,
    },
    settle,
  )
  // Browser sessions are not cached; ending one revokes the token sessions started from it.
  const browserSessions = cached<BrowserSessionStore>(
    store.browserSessions,
    {
      create: 'pass',
      findBySecret: 'pass',
      findById: 'pass',
      touch: 'pass',
      purge: 'pass',
      page: 'pass',
      insertRecord: 'pass',
      end: forgetSessions,
    },
    settle,
  )
  // Consents are not cached; revoking one revokes the user's sessions of the client.
  const consents = cached<ConsentStore>(
    store.consents,
    {
      find: 'pass',
      grant: 'pass',
      listForUser: 'pass',
      page: 'pass',
      insertRecord: 'pass',
      revoke: forgetSessions,
    },
    settle,
  )
  // Second factors live in their own tables, read fresh at each sign-in and step-up check: no
  // write of theirs touches a user row or a session (a session's amr is fixed when it starts,
  // and `deleteAllForUser` leaves sessions alone: a service that ends them on a reset does so
  // through `sessions.revokeAllForUser`, which forgets them). So they all pass; being listed,
  // a method added later must be classified here.
  const mfaFactors = cached<MfaFactorStore>(store.mfaFactors, {
    insert: 'pass',
    findById: 'pass',
    findByCredentialId: 'pass',
    listForUser: 'pass',
    confirm: 'pass',
    acceptStep: 'pass',
    recordAssertion: 'pass',
    rename: 'pass',
    delete: 'pass',
    deleteAllForUser: 'pass',
    page: 'pass',
    insertRecord: 'pass',
  })
  const recoveryCodes = cached<RecoveryCodeStore>(store.recoveryCodes, {
    replace: 'pass',
    spend: 'pass',
    remaining: 'pass',
    page: 'pass',
    insertRecord: 'pass',
  })
  const mfaTokens = cached<MfaTokenStore>(store.mfaTokens, {
    insert: 'pass',
    findLive: 'pass',
    reserveAttempt: 'pass',
    spend: 'pass',
    end: 'pass',
    purge: 'pass',
  })
  const webauthnChallenges = cached<WebAuthnChallengeStore>(store.webauthnChallenges, {
    insert: 'pass',
    consume: 'pass',
    purge: 'pass',
  })
  const { clear } = cached<Pick<Store, 'clear'>>(store, { clear: forgetEverything }, settle)
  // The outbox holds nothing the cache serves: it passes as it is.
  return {
    ...store,
    users,
    sessions,
    emailTokens,
    authorizationCodes,
    browserSessions,
    consents,
    mfaFactors,
    recoveryCodes,
    mfaTokens,
    webauthnChallenges,
    clear,
    cachedSessionWithUser: (id) => pairCache.peek(id)?.value,
  }
}
