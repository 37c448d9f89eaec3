/**
 * Canonical usernames: NFKC, then locale-independent lowercase, then 3 to 32 characters of
 * a-z 0-9 . _ - starting and ending alphanumeric. Uniqueness, lookup and login all go through
 * this one function (see security-anchors §1.12, CVE-2019-19844), so `Alice` and `ａｌｉｃｅ`
 * are the same user.
 */
const usernamePattern = /^[a-z0-9](?:[a-z0-9._-]{1,30})[a-z0-9]$/

/** The canonical form of `input`, or null when it is not a valid username. */
export function canonicalUsername(input: string): string | null {
  const canonical = input.normalize('NFKC').toLowerCase()
  return usernamePattern.test(canonical) ? canonical : null
}

export const usernameRule =
  'username must be 3 to 32 characters of a-z, 0-9, ".", "_" or "-", starting and ending with a letter or digit (compared case-insensitively)'

// A pragmatic syntax check (WHATWG "valid e-mail address" grammar); delivery is not checked.
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/

/** The canonical (lowercased) email used for uniqueness and login, or null when malformed. */
export function canonicalEmail(input: string): string | null {
  if (input.length > 254 || !emailPattern.test(input)) return null
  return input.toLowerCase()
}

/**
 * The canonical form of a login (an email when it holds `@`, else a username), or null when it
 * is neither: the one reading the lookup and the login throttle share.
 */
export const canonicalLogin = (login: string): string | null =>
  login.includes('@') ? canonicalEmail(login) : canonicalUsername(login)
