/** The rows of Portcullis's tables as the Store interface speaks them (see store.ts). */

/** A row of `users`. `username` and `emailCanonical` are already canonical. */
export interface UserRecord {
  id: string
  username: string
  email: string | null
  emailCanonical: string | null
  fullName: string | null
  passwordHash: string
  disabled: boolean
  /** Role names, e.g. `['user']` or `['user', 'admin']`; never empty. */
  roles: string[]
  createdAt: string
  updatedAt: string
  /** Whether the user proved they receive mail at `email` (a verification token, or an admin). */
  emailVerified: boolean
}

/** A user to insert; `roles` defaults to `['user']`, `disabled` and `emailVerified` to false. */
export type NewUser = Omit<UserRecord, 'disabled' | 'updatedAt' | 'roles' | 'emailVerified'> & {
  roles?: string[]
  disabled?: boolean
  emailVerified?: boolean
}

/** A row of `clients`: a registered OAuth client (RFC 6749 §2). */
export interface ClientRecord {
  /** The `client_id`. */
  id: string
  name: string
  /** SHA-256 (base64url) of the secret for a confidential client; null for a public one. */
  secretHash: string | null
  /**
   * Grant types the client may use: `authorization_code`, `password`, `refresh_token`,
   * `client_credentials`.
   */
  grantTypes: string[]
  /** The most a token issued to this client may carry. */
  scopes: string[]
  /** Whether the client may call `POST /introspect` (RFC 7662 §2.1). */
  introspect: boolean
  /**
   * Random and new at each registration: client_credentials tokens carry it, so the tokens of a
   * deleted client stay dead when its client_id is registered again, however soon.
   */
  registrationId: string
  createdAt: string
  updatedAt: string
  /**
   * Where `/authorize` may send the user back (RFC 6749 §3.1.2), compared by exact string match
   * (RFC 9700 §2.1): https, or http only for a loopback host; no fragment, no wildcard.
   */
  redirectUris: string[]
  /** Where RP-initiated logout may send the user back (OpenID RP-Initiated Logout 1.0 §3). */
  postLogoutRedirectUris: string[]
  /** A first-party client skips the consent page: the operator vouches for it. */
  firstParty: boolean
  /**
   * The resource (RFC 8707) this client serves as a resource server: with `introspect`, it is
   * told only about tokens whose audience is this resource; null: Portcullis itself.
   */
  resource: string | null
}

/** A row of `audit_events`: one security event. */
export interface AuditRecord {
  /** Time-ordered and unique: sorting by id sorts by time. */
  id: string
  at: string
  /** e.g. `login.success`, `login.failure`, `refresh.reuse`, `admin.user.disable`. */
  type: string
  outcome: 'success' | 'failure'
  /** The user the event is about (the target of an admin action). */
  userId: string | null
  clientId: string | null
  /** Who acted, for admin actions: a user id, or `cli`. */
  actorId: string | null
  ip: string | null
  userAgent: string | null
  /** JSON object text with event-specific detail (e.g. the reason of a failure); never a secret. */
  detail: string | null
}

/** Filters of `audit.list`; all optional except `limit`. Times are ISO-8601, inclusive. */
export interface AuditFilter {
  userId?: string | undefined
  type?: string | undefined
  since?: string | undefined
  until?: string | undefined
  /** Cursor: only records with an id lower than this (the page continues from it). */
  beforeId?: string | undefined
  limit: number
}

/** Filter of `users.search`. */
export interface UserSearch {
  /** Substring of the username or canonical email, matched case-insensitively. */
  text?: string | undefined
  /** Cursor: only users whose username sorts after this one. */
  afterUsername?: string | undefined
  limit: number
}

/** A row of `signing_keys`. JWKs are JSON text; the private one never leaves the server. */
export interface SigningKeyRecord {
  kid: string
  alg: string
  publicJwk: string
  /** The private JWK, sealed when an encryption key is set; null once the key is revoked. */
  privateJwk: string | null
  createdAt: string
  /** When it starts signing; published in JWKS from its creation. */
  activatesAt: string
  /** Set only when the key is revoked (`keys revoke`): it stops verifying at once. */
  retiredAt: string | null
}

/** A row of `sessions`: one login, and the family of refresh tokens that descend from it. */
export interface SessionRecord {
  id: string
  userId: string
  clientId: string
  scope: string
  ip: string | null
  userAgent: string | null
  createdAt: string
  lastUsedAt: string
  idleExpiresAt: string
  absoluteExpiresAt: string
  revokedAt: string | null
  /** The resource (RFC 8707) its access tokens are for (their `aud`); null: Portcullis itself. */
  resource: string | null
  /**
   * The browser session (provider login) it was started from by the authorization code flow;
   * null for the password grant. Ending that browser session revokes this session too.
   */
  browserSessionId: string | null
  /**
   * How the user authenticated at the sign-in that started it (RFC 8176 values, e.g. `pwd`, or
   * `pwd otp mfa`); a refresh keeps it. Access tokens carry it as `amr`; step-up reads it.
   */
  amr: string[]
  /** When that sign-in happened (the tokens' `auth_time`); a refresh keeps it. */
  authTime: string
}

/** A row of `refresh_tokens`: only the SHA-256 of the token is stored. */
export interface RefreshTokenRecord {
  hash: string
  sessionId: string
  createdAt: string
  spentAt: string | null
}

/** A row of `revoked_tokens`: a revoked access token without a session, until it expires. */
export interface RevokedTokenRecord {
  jti: string
  expiresAt: string
}

/** A row of `server_secrets`: secrets the instances share (e.g. the refresh-rotation key). */
export interface SecretRecord {
  name: string
  value: string
  createdAt: string
}

/**
 * One stored secret to replace (for `keys seal`): the private JWK of the signing key `id`, the
 * value of the server secret `id`, or the TOTP secret of the factor `id`, from `expected` to
 * `next`.
 */
export interface SecretChange {
  table: 'signing_keys' | 'server_secrets' | 'mfa_factors'
  id: string
  expected: string
  next: string
}

/** A throttle counter: `count` events in the window that began at `windowStart`. */
export interface CounterRecord {
  windowStart: string
  count: number
  blockedUntil: string | null
  /** After this time (and the block), housekeeping may delete the row. */
  expiresAt: string
}

/** One attempt to count against a throttle counter (`CounterStore.reserve`). */
export interface Reservation {
  /** The window the attempt counts in; another stored window restarts the count at 1. */
  windowStart: string
  /** The current time: a block ending after it refuses the attempt (unless `ignoreBlock`). */
  now: string
  /** The most events one window may hold; omitted: no limit. */
  limit?: number
  /** Counts the attempt even while the key is blocked. */
  ignoreBlock?: boolean
  /** The blocks attempts earn: the step with the highest `fromCount` ≤ the new count applies. */
  blocks?: Array<{ fromCount: number; until: string }>
  /** The row may be deleted after this time; never earlier than any block in `blocks`. */
  expiresAt: string
}

/** What an email token is for: a token of one purpose never serves another. */
export type EmailTokenPurpose = 'verify_email' | 'reset_password' | 'change_email'

/**
 * A row of `email_tokens`: a single-use token sent by mail. Only the SHA-256 (base64url) of the
 * 256-bit token is stored; the token itself exists only in the message that carries it.
 */
export interface EmailTokenRecord {
  hash: string
  purpose: EmailTokenPurpose
  userId: string
  /** The address the token was sent to and is bound to (for `change_email`, the new one). */
  email: string
  /** `email` canonicalized (`checkUserFields`): what must still match when it is redeemed. */
  emailCanonical: string
  createdAt: string
  expiresAt: string
  /** When it was redeemed or voided; a token with `usedAt` set is dead. */
  usedAt: string | null
}

/**
 * A row of `mail_outbox`: one message to send, written in the same transaction as the token it
 * carries. The bodies are cleared once the message is sent or given up (they carry tokens).
 */
export interface OutboxRecord {
  /** Time-ordered and unique (as audit ids): sorting by id sorts by enqueue time. */
  id: string
  /** The message kind (`verify_email`, `reset_password`, `password_changed`, …). */
  kind: string
  recipient: string
  subject: string
  textBody: string
  htmlBody: string
  createdAt: string
  /** How many delivery attempts failed so far. */
  attempts: number
  /** Not to be tried before this time (exponential backoff after a failure). */
  nextAttemptAt: string
  /** The sender instance holding the message, until `claimedUntil` (a lease: a dead one expires). */
  claimedBy: string | null
  claimedUntil: string | null
  sentAt: string | null
  /** Set when delivery was given up (a permanent refusal, or too many attempts). */
  failedAt: string | null
  /** The last delivery error (the SMTP reply), never a body. */
  lastError: string | null
}

/**
 * A row of `authorization_codes` (RFC 6749 §4.1.2): single-use, short-lived (at most 60 s), only
 * its SHA-256 (base64url) stored, bound to everything the token request must repeat or prove.
 */
export interface AuthorizationCodeRecord {
  hash: string
  clientId: string
  userId: string
  /**
   * The `redirect_uri` of the authorization request, which the token request must repeat; ''
   * when the request left it out (the client's one registered URI was used).
   */
  redirectUri: string
  /** The PKCE `code_challenge` (RFC 7636 §4.2, always S256). */
  codeChallenge: string
  /** The granted scope (space-separated). */
  scope: string
  /** The OpenID Connect `nonce`, carried into the ID token. */
  nonce: string | null
  /** The RFC 8707 resource the access token is for; null: Portcullis itself. */
  resource: string | null
  /** The browser session that approved it: the ID token's `sid`. */
  browserSessionId: string
  /** When the user last authenticated (the ID token's `auth_time`). */
  authTime: string
  /** How the user authenticated (the ID token's `amr`, RFC 8176 values, e.g. `pwd`). */
  amr: string[]
  createdAt: string
  expiresAt: string
  /** When it was redeemed; a redeemed code is dead, and presenting it again revokes `sessionId`. */
  usedAt: string | null
  /** The session its redemption started. */
  sessionId: string | null
}

/**
 * A row of `browser_sessions`: the provider's login session in one browser (OpenID Connect's
 * "session at the OP"). The cookie holds 256 random bits; only their SHA-256 is stored. `id` is
 * public (the ID token's `sid`) and never lets anyone act as the session.
 */
export interface BrowserSessionRecord {
  id: string
  secretHash: string
  userId: string
  /** When the user authenticated (the ID token's `auth_time`). */
  authTime: string
  /** How (RFC 8176 values, e.g. `pwd`). */
  amr: string[]
  ip: string | null
  userAgent: string | null
  createdAt: string
  lastSeenAt: string
  idleExpiresAt: string
  absoluteExpiresAt: string
  /** Logout, or the end of all the user's sessions (password change or reset, disable, delete). */
  endedAt: string | null
}

/** A row of `consents`: the scopes a user allowed a (third-party) client, until revoked. */
export interface ConsentRecord {
  userId: string
  clientId: string
  scopes: string[]
  createdAt: string
  updatedAt: string
}

export type * from './mfa-records.js'
