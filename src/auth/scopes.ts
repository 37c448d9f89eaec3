import { invalidScope } from '../errors.js'

/**
 * Resolves a requested `scope` parameter (RFC 6749 §3.3) against the scopes this server offers.
 * Omitted or empty: the default scopes. Any unknown scope: 400 invalid_scope; a client gets
 * what it may have, never whatever it asks for.
 */
export function grantScopes(requested: string | undefined, offered: string[], defaults: string[]) {
  if (requested === undefined || requested.trim() === '') return defaults.join(' ')
  const wanted = [...new Set(requested.split(' ').filter((s) => s !== ''))]
  const unknown = wanted.filter((s) => !offered.includes(s))
  if (unknown.length > 0) throw invalidScope(`unknown scope: ${unknown.join(' ')}`)
  return wanted.join(' ')
}
