/**
 * The one catalogue of error codes. Every error body is `{error, error_description}` with `error`
 * taken from here: the OAuth codes of RFC 6749 §5.2 and RFC 6750 §3.1, plus a few for the
 * non-OAuth endpoints.
 */
export const errorStatus = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  // RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 8707 §2: errors of the authorization
  // endpoint (sent to the client's redirect URI) and of resource indicators.
  unsupported_response_type: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  invalid_target: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  // RFC 9470 §3: the access token's authentication is too old or too weak for this resource.
  insufficient_user_authentication: 401,
  // The password grant's second step (the shape Auth0 made familiar): the password was right,
  // a second factor must follow with the `mfa_token`; or the user must enroll one first.
  mfa_required: 403,
  mfa_enrollment_required: 403,
  access_denied: 403,
  unauthorized: 401,
  not_found: 404,
  request_timeout: 408,
  username_taken: 409,
  email_taken: 409,
  client_taken: 409,
  // A user has at most one authenticator app: remove it before enrolling another.
  totp_enrolled: 409,
  last_admin: 409,
  email_not_verified: 400,
  no_email: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  too_many_requests: 429,
  server_error: 500,
  temporarily_unavailable: 503,
  http_version_not_supported: 505,
} as const

export type ErrorCode = keyof typeof errorStatus

/**
 * An error meant for the client: its code, status and description are safe to send.
 * Anything thrown that is not an ApiError becomes a generic 500.
 */
export class ApiError extends Error {
  readonly status: number
  /**
   * Fields the body carries besides `error` and `error_description` (the `mfa_token` of
   * mfa_required); the route's response schema for the status must declare them.
   */
  readonly fields: Readonly<Record<string, unknown>>
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown; status?: number; fields?: Record<string, unknown> },
  ) {
    super(description, options)
    this.name = 'ApiError'
    this.status = options?.status ?? errorStatus[code]
    this.fields = options?.fields ?? {}
  }
}

/** The wire shape of every error response, derived from its schema. */
export type { ErrorBody } from './wire/error-body.js'

export const invalidRequest = (description: string) => new ApiError('invalid_request', description)
export const invalidGrant = (description: string) => new ApiError('invalid_grant', description)
export const invalidScope = (description: string) => new ApiError('invalid_scope', description)
/** 400 invalid_target (RFC 8707 §2): a `resource` that is not one this server issues tokens for. */
export const invalidTarget = (description: string) => new ApiError('invalid_target', description)

/** 503 with Retry-After: the server is busy or a dependency is down; the client may retry. */
export const temporarilyUnavailable = (description: string, retryAfterSeconds = 1) =>
  new ApiError('temporarily_unavailable', description, { 'retry-after': String(retryAfterSeconds) })

/**
 * 400 invalid_token: an email token (verification, reset, email change) that is used, expired,
 * unknown or of another purpose. One description for all, so the answer tells nothing about
 * which. 400, not RFC 6750's 401: the token is a body parameter, not the request's credentials.
 */
export const invalidEmailToken = () =>
  new ApiError(
    'invalid_token',
    'the link is invalid or has expired; ask for a new one',
    {},
    {
      status: 400,
    },
  )

export const hashedPasswordHint =
  'unknown field "hashed_password": send the plain password in "password"; the server hashes it'
