/** The longest redirect URI accepted: longer ones are refused rather than truncated. */
export const maxRedirectUriLength = 2000

// The hosts for which plain http is allowed (RFC 8252 §7.3, RFC 9700 §2.1: loopback redirects of
// native apps): the loopback literals and `localhost`, as WHATWG URL parsing spells them.
const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost'])

/**
 * Why `uri` cannot be registered as a redirect URI (RFC 6749 §3.1.2) or a post-logout redirect
 * URI (OpenID RP-Initiated Logout 1.0 §3), or null when it can. A registrable URI is absolute,
 * `https`, or `http` only for a loopback host (127.0.0.1, [::1], localhost); it has no fragment
 * (RFC 6749 §3.1.2), no userinfo, no `*` (no wildcards: RFC 9700 §2.1 requires exact string
 * matching, and a `*` would read as a pattern), no backslash, whitespace or control character
 * (which parsers disagree on), its host spelled as a browser parses it, and at most 2000
 * characters. The URI is stored as given and later
 * compared as an exact string, so nothing here normalizes it.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > maxRedirectUriLength) {
    return `must be 1-${maxRedirectUriLength} characters`
  }
  if (/[\s\p{Cc}\\]/u.test(uri)) {
    return 'must not contain whitespace, control characters or backslashes'
  }
  if (uri.includes('*')) return 'must not contain a wildcard (*)'
  if (uri.includes('#')) return 'must not have a fragment'
  // The scheme and `//` must be spelled out: WHATWG parsing would also read `https:host`.
  const spelled = /^(https?):\/\/([^/?]*)/i.exec(uri)
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'must be an absolute https URI'
  }
  if (!spelled || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return 'must be an absolute https URI (http only for a loopback host)'
  }
  if ((spelled[2] ?? '').includes('@') || url.username !== '' || url.password !== '') {
    return 'must not contain userinfo'
  }
  // The host as a browser reads it (lowercase, punycode, dotted IPv4): `http://127.1` or
  // `https:///x` would reach a host its spelling does not show.
  const host = (spelled[2] ?? '').replace(/:\d*$/, '').toLowerCase()
  if (host === '' || host !== url.hostname) return 'must name its host in canonical form'
  if (url.protocol === 'http:' && !loopbackHosts.has(url.hostname)) {
    return 'must use https (http only for 127.0.0.1, [::1] or localhost)'
  }
  return null
}
