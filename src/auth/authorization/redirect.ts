import type { ApiError } from '../../errors.js'

/**
 * The authorization response's location (RFC 6749 §4.1.2): the registered `redirect_uri`, its own
 * query kept as registered (§3.1.2: "MUST retain" it), followed by the response parameters.
 * `state` goes back exactly as received and `iss` is always present (RFC 9207 §2: the client
 * tells which server answered, against mix-up attacks, RFC 9700 §4.4).
 */
export function clientRedirect(
  redirectUri: string,
  issuer: string,
  state: string | null,
  response: Readonly<Record<string, string>>,
): string {
  const query = new URLSearchParams(response)
  if (state !== null) query.set('state', state)
  query.set('iss', issuer)
  const separator = redirectUri.includes('?') ? '&' : '?'
  return `${redirectUri}${separator}${query.toString()}`
}

/** The error response (RFC 6749 §4.1.2.1) for `error`, sent to a trusted redirect URI. */
export function errorRedirect(
  redirectUri: string,
  issuer: string,
  state: string | null,
  error: ApiError,
): string {
  return clientRedirect(redirectUri, issuer, state, {
    error: error.code,
    error_description: error.description,
  })
}
