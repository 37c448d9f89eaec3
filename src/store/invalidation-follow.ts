import type { StatusChanges } from './invalidation.js'
import type { TtlCache } from './ttl-cache.js'

/** Where the status cache says that it stopped or started trusting its memory. */
export interface StatusCacheLog {
  warn(details: object, message: string): void
  info(details: object, message: string): void
}

/** How the status cache forgets what a change names. */
export interface Forgetting {
  user(id: string): void
  session(id: string): void
  everything(): void
}

/**
 * Makes `caches` follow a feed of changes: each change forgets what it names; the caches are
 * suspended (every lookup a load, nothing kept) from now until the feed first listens, and from
 * each `down` to the next `live`, which clears them before they cache again. Logged at warn
 * (down, with the reason; never a payload) and info (live).
 */
export function followStatusChanges(
  changes: StatusChanges,
  caches: readonly TtlCache<unknown>[],
  forget: Forgetting,
  log?: StatusCacheLog,
): void {
  // Uncached until the feed listens: a change made before then would not be heard.
  for (const cache of caches) cache.suspend()
  changes.subscribe({
    changed: (change) => {
      if (change.kind === 'user') forget.user(change.id)
      else if (change.kind === 'session') forget.session(change.id)
      else forget.everything()
    },
    down: (reason) => {
      for (const cache of caches) cache.suspend()
      log?.warn(
        { event: 'status_listener_down', reason: reason.message },
        'status change listener down: serving user and session status uncached',
      )
    },
    live: () => {
      for (const cache of caches) cache.resume()
      log?.info({ event: 'status_listener_live' }, 'status change listener live: caching')
    },
  })
}
