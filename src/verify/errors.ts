/**
 * Why a request's access token was refused, with the HTTP status it maps to:
 *
 * - `invalid_token` (401, RFC 6750 §3.1): expired, not yet valid, wrong issuer, audience or
 *   `typ`, bad signature, unknown key, forbidden header, missing claim, malformed or
 *   non-canonical base64url, or a client token on a user route (and vice versa, see `subject`).
 * - `insufficient_scope` (403, RFC 6750 §3.1): valid, but without a scope the route needs.
 * - `invalid_request` (400, RFC 6750 §3.1): the `Authorization` header is malformed or repeated.
 * - `unauthorized` (401): no bearer credentials at all; the challenge carries no error code
 *   (RFC 6750 §3.1: "SHOULD NOT include an error code"), as Portcullis itself answers.
 * - `temporarily_unavailable` (503): the keys could not be fetched; not the token's fault.
 *
 * `verify()` throws only `invalid_token` and `temporarily_unavailable`; `requireScopes` throws
 * `insufficient_scope`; the request helpers add `invalid_request` and `unauthorized`.
 */
export type VerifyErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'

const statusOf: Record<VerifyErrorCode, 400 | 401 | 403 | 503> = {
  invalid_request: 400,
  unauthorized: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
}

/** The realm used when neither the verifier nor the caller names one. */
export const defaultRealm = 'api'

/** A quoted-string (RFC 9110 §5.6.4) with `"` and `\` escaped and control characters dropped. */
function quoted(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&')}"`
}

/** RFC 6750 §3: `error`, `error_description` and `scope` allow %x20-21 / %x23-5B / %x5D-7E only. */
function restricted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`
}

/**
 * An RFC 6750 §3 `WWW-Authenticate` value: `Bearer realm="…"`, then `error`, `error_description`
 * and `scope` when given (characters RFC 6750 does not allow there are dropped). Without `error`
 * it is the bare challenge for a request without credentials.
 */
export function bearerChallenge(
  realm: string,
  error?: string,
  description?: string,
  scope?: string,
): string {
  let value = `Bearer realm=${quoted(realm)}`
  if (error) value += `, error=${restricted(error)}`
  if (description) value += `, error_description=${restricted(description)}`
  if (scope) value += `, scope=${restricted(scope)}`
  return value
}

/** Options of a {@link VerifyError} beyond its code and description. */
export interface VerifyErrorOptions {
  /** The protection space named in the challenge; {@link defaultRealm} when omitted. */
  realm?: string
  /** For `insufficient_scope`: the scopes the route needs (space-separated). */
  scope?: string
  /** The underlying error (e.g. from jose), for logs; never sent to the client. */
  cause?: unknown
}

/**
 * The one error the verifier throws. `status` and `wwwAuthenticate` are ready to send; the body
 * a resource server should answer with is {@link VerifyError.body}. `description` is safe to
 * send: it never echoes the token or a key.
 */
export class VerifyError extends Error {
  /** The HTTP status: 400, 401, 403 or 503. */
  readonly status: 400 | 401 | 403 | 503
  /** The realm of the challenge. */
  readonly realm: string
  /** For `insufficient_scope`: the scopes that were needed. */
  readonly scope: string | undefined

  constructor(
    /** The RFC 6750 error code (or `unauthorized` / `temporarily_unavailable`, see the type). */
    readonly code: VerifyErrorCode,
    /** A human-readable reason, safe to send as `error_description`. */
    readonly description: string,
    options: VerifyErrorOptions = {},
  ) {
    super(description, { cause: options.cause })
    this.name = 'VerifyError'
    this.status = statusOf[code]
    this.realm = options.realm ?? defaultRealm
    this.scope = options.scope
  }

  /**
   * The `WWW-Authenticate` header value (RFC 6750 §3). For `unauthorized` it is the bare
   * `Bearer realm="…"` challenge; otherwise it carries `error` and `error_description`, plus
   * `scope` for `insufficient_scope`.
   */
  get wwwAuthenticate(): string {
    if (this.code === 'unauthorized') return bearerChallenge(this.realm)
    return bearerChallenge(this.realm, this.code, this.description, this.scope)
  }

  /** The JSON body to answer with: `{ error, error_description }`, as Portcullis does. */
  get body(): { error: VerifyErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description }
  }

  /** The same error in another realm (e.g. the one a Fastify plugin was registered with). */
  withRealm(realm: string): VerifyError {
    if (realm === this.realm) return this
    return new VerifyError(this.code, this.description, {
      realm,
      scope: this.scope,
      cause: this.cause,
    })
  }
}
