import { randomBytes } from 'node:crypto'

/** What the app keeps between sending the browser to Portcullis and its return (RFC 7636, OIDC). */
export interface PendingSignIn {
  state: string
  nonce: string
  codeVerifier: string
}

/** The signed-in user, as the ID token and /userinfo describe them. */
export interface SignedInUser {
  sub: string
  name: string | undefined
  email: string | undefined
  /** Sent back as `id_token_hint` when signing out at Portcullis. */
  idToken: string
}

export interface Session {
  id: string
  /** The sign-out form's anti-CSRF token. */
  csrf: string
  pending?: PendingSignIn
  user?: SignedInUser
  expiresAt: number
}

const newId = () => randomBytes(32).toString('base64url')

/**
 * Server-side sessions in memory, keyed by an opaque random id that is all the cookie holds:
 * the PKCE verifier, the nonce and the ID token never reach the browser. Bounded: sessions end
 * after `ttlMs`, and the oldest goes when `max` are open. An example, so in memory: a real app
 * would keep them in its database or cache.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly ttlMs = 60 * 60 * 1000,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live session with this id, or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined
    const session = this.sessions.get(id)
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(id)
      return undefined
    }
    return session
  }

  create(): Session {
    this.sweep()
    const session: Session = { id: newId(), csrf: newId(), expiresAt: this.now() + this.ttlMs }
    this.sessions.set(session.id, session)
    return session
  }

  /**
   * The same session under a new id (and a new CSRF token): done at sign-in, so an id planted
   * in the browser before it (session fixation) never becomes a signed-in session.
   */
  rotate(session: Session): Session {
    this.sessions.delete(session.id)
    const renewed = { ...session, id: newId(), csrf: newId(), expiresAt: this.now() + this.ttlMs }
    this.sessions.set(renewed.id, renewed)
    return renewed
  }

  delete(id: string): void {
    this.sessions.delete(id)
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id)
    }
    // Map order is insertion order: the first one is the oldest.
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value
      if (oldest === undefined) break
      this.sessions.delete(oldest)
    }
  }
}
