import type { Clock } from '../clock.js'
import type { SessionRecord, SessionStore, Store, UserRecord, UserStore } from './store.js'
import { TtlCache } from './ttl-cache.js'

/** Runs `write` with the cache entries it affects forgotten before and after it. */
async function around<R>(forget: () => void, write: () => Promise<R>): Promise<R> {
  forget()
  try {
    return await write()
  } finally {
    forget()
  }
}

type SessionWithUser = { session: SessionRecord; user: UserRecord } | null

/**
 * Wraps a store so the lookups every protected request makes (`sessions.findWithUser`, and
 * `users.findById` / `sessions.findById`) are served from memory for at most `ttlMs`. Every
 * write made through this store drops what it affects at once; a write made elsewhere (another
 * instance, the CLI) is seen within `ttlMs`: the bound on how long a disabled user or an ended
 * session elsewhere keeps working. `ttlMs` 0 returns the store unchanged.
 */
export function withStatusCache(store: Store, clock: Clock, ttlMs: number): Store {
  if (ttlMs <= 0) return store
  const now = () => clock.now()
  const userCache = new TtlCache<UserRecord | null>(now, ttlMs)
  const sessionCache = new TtlCache<SessionRecord | null>(now, ttlMs)
  // Keyed by session id. Any user write clears it whole: writes are rare, reads constant.
  const pairCache = new TtlCache<SessionWithUser>(now, ttlMs)
  const forgetUser = (id: string) => {
    userCache.forget(id)
    pairCache.forgetAll()
  }
  const forgetUsers = () => {
    userCache.forgetAll()
    pairCache.forgetAll()
  }
  const forgetSession = (id: string) => {
    sessionCache.forget(id)
    pairCache.forget(id)
  }
  const forgetSessions = () => {
    sessionCache.forgetAll()
    pairCache.forgetAll()
  }
  const u = store.users
  const s = store.sessions
  const users: UserStore = {
    ...u,
    findById: (id) => userCache.get(id, (key) => u.findById(key)),
    create: (user) =>
      around(
        () => forgetUser(user.id),
        () => u.create(user),
      ),
    insertRecord: (user) =>
      around(
        () => forgetUser(user.id),
        () => u.insertRecord(user),
      ),
    replacePasswordHash: (id, expected, next, at) =>
      around(
        () => forgetUser(id),
        () => u.replacePasswordHash(id, expected, next, at),
      ),
    setDisabled: (id, disabled, at) =>
      around(
        () => forgetUser(id),
        () => u.setDisabled(id, disabled, at),
      ),
    setRoles: (id, roles, at) =>
      around(
        () => forgetUser(id),
        () => u.setRoles(id, roles, at),
      ),
    // Any id may be among the batch, including ids cached as missing.
    importMany: (batch) => around(forgetUsers, () => u.importMany(batch)),
    // Deleting a user also deletes its sessions (cascade).
    delete: (id) =>
      around(
        () => {
          forgetUser(id)
          forgetSessions()
        },
        () => u.delete(id),
      ),
    deleteUnlessLastHolder: (id, roles) =>
      around(
        () => {
          forgetUser(id)
          forgetSessions()
        },
        () => u.deleteUnlessLastHolder(id, roles),
      ),
  }
  const sessions: SessionStore = {
    ...s,
    findById: (id) => sessionCache.get(id, (key) => s.findById(key)),
    findWithUser: (id) => pairCache.get(id, (key) => s.findWithUser(key)),
    revoke: (id, at) =>
      around(
        () => forgetSession(id),
        () => s.revoke(id, at),
      ),
    revokeAllForUser: (userId, at, exceptId) =>
      around(forgetSessions, () => s.revokeAllForUser(userId, at, exceptId)),
    revokeAllForClient: (clientId, at) =>
      around(forgetSessions, () => s.revokeAllForClient(clientId, at)),
    rotate: (hash, next, at, idle) => around(forgetSessions, () => s.rotate(hash, next, at, idle)),
    insertRecord: (session) =>
      around(
        () => forgetSession(session.id),
        () => s.insertRecord(session),
      ),
    purge: (at, limit) => around(forgetSessions, () => s.purge(at, limit)),
  }
  const clear = () =>
    around(
      () => {
        forgetUsers()
        forgetSessions()
      },
      () => store.clear(),
    )
  return { ...store, users, sessions, clear }
}
