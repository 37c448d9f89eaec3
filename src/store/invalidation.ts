/**
 * What another process changed, as the status cache needs to hear it: a user row (status,
 * roles, password, deletion), a session row (revocation, expiry, deletion), or anything (the
 * tables were emptied, or a message this version does not know).
 */
export type StatusChange =
  | { kind: 'user'; id: string }
  | { kind: 'session'; id: string }
  | { kind: 'all' }

/** The channel the PostgreSQL triggers (migration 14) publish on and the instances LISTEN on. */
export const statusChannel = 'portcullis_status'

/**
 * Decodes a notification payload of migration 14's triggers: `u:<user id>`, `s:<session id>`
 * or `*`. Anything else reads as `all`: forgetting too much is safe, too little is not.
 */
export function parseStatusChange(payload: string | undefined): StatusChange {
  const id = payload?.slice(2) ?? ''
  if (payload?.startsWith('u:') && id) return { kind: 'user', id }
  if (payload?.startsWith('s:') && id) return { kind: 'session', id }
  return { kind: 'all' }
}

/** Receives a feed's changes and the state of its connection. */
export interface StatusSubscriber {
  /** A committed change: forget what it names. */
  changed(change: StatusChange): void
  /**
   * The feed stopped listening (the connection dropped, or the first attempt failed): changes
   * may be missed from now on, so nothing may be served from memory until `live`. Called once
   * per outage, with the reason.
   */
  down(reason: Error): void
  /**
   * The feed listens again (LISTEN acknowledged): anything remembered from before may have
   * missed a change, so forget it all, then cache again.
   */
  live(): void
}

/**
 * Changes made by every process on the database, delivered as they commit. A feed starts
 * listening at its first subscriber; until its first `live`, a subscriber must assume it is
 * down.
 */
export interface StatusChanges {
  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: StatusSubscriber): () => void
  /** True while listening (between `live` and the next `down`). */
  readonly listening: boolean
  /**
   * Resolves once every change committed before the call has been delivered to this feed (at
   * once when not listening; never rejects). A writer awaits it before answering, so the
   * client's next request, to any instance, comes after the others were told.
   */
  settle(): Promise<void>
}
