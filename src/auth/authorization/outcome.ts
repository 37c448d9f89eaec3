import type { ApiError } from '../../errors.js'
import type { ClientRecord } from '../../store/store.js'

/**
 * The contract between the authorization endpoint's logic (flow.ts) and the routes and pages that
 * call it: the checked request, what to do next, and what a page just did.
 */

/** A checked authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1). */
export interface AuthorizationRequest {
  client: ClientRecord
  redirectUri: string
  state: string | null
  /** The scopes asked for, each once, in order (`openid` among them for OpenID Connect). */
  scopes: readonly string[]
  /** The PKCE S256 challenge (RFC 7636 §4.2). */
  codeChallenge: string
  nonce: string | null
  /** The RFC 8707 resource asked for; null: Portcullis itself. */
  resource: string | null
  prompt: ReadonlySet<'none' | 'login' | 'consent'>
  /** Seconds (OpenID Connect Core §3.1.2.1); null when not asked. */
  maxAge: number | null
  loginHint: string | null
  /**
   * The parameters to carry to the next page (the login or consent form's hidden fields, or the
   * query of the redirect to it): the request's own, minus what is already satisfied (after a
   * fresh login, `prompt=login` and `max_age`), so the next step cannot loop back.
   */
  params: Readonly<Record<string, string>>
}

/** What to do next with an authorization request. */
export type AuthorizeOutcome =
  /**
   * The client or redirect URI is unknown or does not match (RFC 6749 §4.1.2.1): show this
   * error on a page; never redirect.
   */
  | { kind: 'error_page'; error: ApiError }
  /** Send the browser to the client: `location` carries a code or an error, `state` and `iss`. */
  | { kind: 'redirect'; location: string }
  /** Show the login page for this request. */
  | { kind: 'login'; request: AuthorizationRequest }
  /**
   * Show the consent page for this request (a client that is not first-party), listing
   * `scopes`: exactly what the code will carry (with `scope` omitted, the defaults the user may
   * have), never merely what was asked.
   */
  | { kind: 'consent'; request: AuthorizationRequest; scopes: readonly string[] }

/** What the page that calls the flow just did. */
export type InteractionStep = { freshLogin: true } | { consent: 'allow' | 'deny' }
