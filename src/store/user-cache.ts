import type { Clock } from '../clock.js'
import type { Store, UserRecord, UserStore } from './store.js'

interface Entry {
  user: UserRecord | null
  at: number
}

/**
 * Wraps a store so `users.findById` (the per-request check of /users/me) is served from memory
 * for at most `ttlMs`. Every write made through this store drops the affected entry at once;
 * a write made elsewhere (another instance, the CLI) is seen within `ttlMs`. That is the bound
 * on how long a disabled or deleted user's valid token keeps working. `ttlMs` 0 disables it.
 */
export function withUserCache(store: Store, clock: Clock, ttlMs: number, limit = 100_000): Store {
  if (ttlMs <= 0) return store
  const entries = new Map<string, Entry>()
  const inner = store.users
  // Bumped by every write, so a read that overlapped a write never caches what it saw.
  let generation = 0
  const forget = (id: string) => {
    generation++
    entries.delete(id)
  }
  const drop =
    <A extends unknown[], R>(fn: (id: string, ...rest: A) => Promise<R>) =>
    async (id: string, ...rest: A) => {
      forget(id)
      try {
        return await fn(id, ...rest)
      } finally {
        forget(id)
      }
    }
  const users: UserStore = {
    ...inner,
    async findById(id) {
      const hit = entries.get(id)
      const now = clock.now()
      if (hit && now - hit.at < ttlMs) return hit.user
      const seen = generation
      const user = await inner.findById(id)
      if (seen !== generation) return user
      if (entries.size >= limit) entries.clear()
      entries.set(id, { user, at: now })
      return user
    },
    replacePasswordHash: drop(inner.replacePasswordHash.bind(inner)),
    setDisabled: drop(inner.setDisabled.bind(inner)),
    delete: drop(inner.delete.bind(inner)),
    async insertRecord(user) {
      forget(user.id)
      await inner.insertRecord(user)
    },
    async create(user) {
      forget(user.id)
      return inner.create(user)
    },
  }
  return {
    ...store,
    engine: store.engine,
    users,
    async clear() {
      generation++
      entries.clear()
      await store.clear()
    },
  }
}
