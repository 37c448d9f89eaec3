import type { Clock } from '../../clock.js'
import type { AuthorizationCodeStore, ClientRecord } from '../../store/store.js'
import type { GrantForm } from '../../wire/token-request.js'
import type { TokenBody } from '../../wire/token-response.js'
import type { AccessTokens, TokenSession } from '../access-tokens.js'
import type { AuditService } from '../audit.js'
import type { BrowserSessions } from '../browser-sessions.js'
import type { IdTokens } from '../id-tokens.js'
import type { LoginThrottle } from '../login-throttle.js'
import type { MfaLogins } from '../mfa/mfa-logins.js'
import type { MfaService } from '../mfa/mfa-service.js'
import type { RateLimit, RateLimiter } from '../rate-limiter.js'
import type { RoleTable } from '../roles.js'
import type { SessionService } from '../sessions.js'
import type { UserService } from '../users.js'

export type { GrantForm }

/** Who asks for a token, as the HTTP layer saw it; no request object crosses into a grant. */
export interface GrantContext {
  /** The client address (after trusted proxies): throttling and audit. */
  ip: string
  /** The User-Agent as the audit log keeps it (at most 256 characters), or null. */
  userAgent: string | null
  /** password grant: the `device_token` sent back from an earlier login on this device. */
  deviceToken?: string | undefined
  /** The calling client, already authenticated (or the built-in one). */
  client: ClientRecord
}

/** The services the grants use; the limiters do nothing where limits are off. */
export interface GrantServices {
  users: UserService
  sessions: SessionService
  tokens: AccessTokens
  throttle: LoginThrottle
  rateLimiter: RateLimiter
  audit: AuditService
  idTokens: IdTokens
  /** The provider's login sessions: a refreshed ID token's `auth_time`, `amr` and `sid`. */
  browserSessions: Pick<BrowserSessions, 'findById'>
  /** The authorization codes (the authorization_code grant spends them). */
  codes: AuthorizationCodeStore
  clock: Clock
  /** The user's second factors: whether a sign-in needs one. */
  mfa: Pick<MfaService, 'methods' | 'hasFactor'>
  /** The second step of a password sign-in (the `mfa_token`). */
  mfaLogins: Pick<MfaLogins, 'start' | 'complete'>
}

/** What the grants decide by. */
export interface GrantPolicy {
  /** Every scope the server offers. */
  scopes: readonly string[]
  /** The scopes a login gets when it asks for none (narrowed to what the user may have). */
  defaultScopes: readonly string[]
  /** What each role grants. */
  roles: RoleTable
  /** The lifetime of a session without refresh tokens: that of its one access token. */
  accessTokenTtlSeconds: number
  /** Refresh and client_credentials requests allowed per client IP per minute. */
  requestsPerMinute: number
  /**
   * The password grant refuses a user whose address is not verified, or who has none
   * (PORTCULLIS_REQUIRE_VERIFIED_EMAIL); off: unset.
   */
  requireVerifiedEmail?: boolean
  /** The RFC 8707 resources a token may be asked for (PORTCULLIS_RESOURCES). */
  resources: readonly string[]
  /** Whether the password grant is on (PORTCULLIS_PASSWORD_GRANT). */
  passwordGrant: boolean
  /** Roles whose users must enroll a second factor before they get tokens. */
  mfaRequiredRoles: readonly string[]
}

/** Everything a grant function receives besides the request. */
export interface GrantDeps extends GrantServices {
  policy: GrantPolicy
  /** `policy.requestsPerMinute` as a rate-limit rule, built once. */
  perMinute: RateLimit
}

/** One grant type: checks the form, issues the tokens, or throws an ApiError. */
export type Grant = (deps: GrantDeps, form: GrantForm, context: GrantContext) => Promise<TokenBody>

// RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted".
export const present = (value: string | undefined) => (value === '' ? undefined : value)

/**
 * The token response for a user's session: an access token, and the refresh token if any. The
 * access token's `aud` is the session's RFC 8707 `resource`, or Portcullis itself when null; its
 * `amr` and `auth_time` are the session's sign-in (a refresh keeps them).
 */
export async function userTokenResponse(
  deps: GrantDeps,
  userId: string,
  clientId: string,
  session: TokenSession,
  scope: string,
  refreshToken: string | null,
  resource: string | null = null,
): Promise<TokenBody> {
  const issued = await deps.tokens.issue(userId, clientId, scope, session, resource)
  return {
    access_token: issued.token,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
    scope,
  }
}
