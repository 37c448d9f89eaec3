import type { ApiError } from '../../errors.js'
import type { ClientRecord } from '../../store/store.js'
import type { BrowserLogin } from '../browser-sessions.js'

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
  /** Show the consent page for this request (a client that is not first-party). */
  | { kind: 'consent'; request: AuthorizationRequest }

/** What the page that calls the flow just did. */
export type InteractionStep = { freshLogin: true } | { consent: 'allow' | 'deny' }

/**
 * PLACEHOLDER (its signatures are the contract): the authorization endpoint's logic, built by
 * the authorize helper. No HTTP types: the routes pass the parameters and the browser session.
 */
export class AuthorizationFlow {
  /**
   * Runs an authorization request: checks `params` (the query of `GET /authorize`, or the hidden
   * fields of the login and consent forms), then decides by the browser session `browser` (null:
   * none) and the page's `step` whether to ask for a login, a consent, or to redirect to the
   * client with a code or an error. Never throws for a bad request: every protocol error is an
   * outcome (error page or redirect).
   */
  authorize(
    _params: Readonly<Record<string, string | undefined>>,
    _browser: BrowserLogin | null,
    _step?: InteractionStep,
  ): Promise<AuthorizeOutcome> {
    throw new Error('AuthorizationFlow.authorize is not implemented yet')
  }
}
