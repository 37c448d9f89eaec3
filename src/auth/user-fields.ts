import { hasControlCharacters } from './control-characters.js'
import { isWellFormedPassword as isWellFormedText } from './password-policy.js'
import { canonicalEmail, canonicalUsername, usernameRule } from './usernames.js'

/**
 * The fields a new user is given, as sent (registration, `users create`) or read (import).
 * An optional field is absent when undefined or null; any string, the empty one included, is a
 * value and meets the rules (an empty email is not an address, whatever the path).
 */
export interface UserFieldsInput {
  username: string
  email?: string | null | undefined
  fullName?: string | null | undefined
}

/** The same fields checked, with the canonical forms the store keys on. */
export interface UserFields {
  username: string
  email: string | null
  emailCanonical: string | null
  fullName: string | null
}

export const fullNameMaxLength = 200

/**
 * The one check of a new user's fields, shared by every way a user is created (`/register`,
 * `users create`, bootstrap, `users import`): the username and email canonicalized, and a full
 * name of at most 200 code points, well-formed Unicode, without control characters (ESC could
 * drive the terminal of whoever lists users; NUL cannot be stored in PostgreSQL). Line breaks
 * and tabs are kept in a name: imported directories hold them. Returns the checked fields, or the
 * sentence naming the first problem (for a 400 or an import rejection).
 */
export function checkUserFields(input: UserFieldsInput): UserFields | string {
  const username = canonicalUsername(input.username)
  if (!username) return usernameRule
  const email = input.email ?? null
  const emailCanonical = email === null ? null : canonicalEmail(email)
  if (email !== null && !emailCanonical) return 'email is not a valid email address'
  const fullName = input.fullName ?? null
  if (fullName !== null) {
    if ([...fullName].length > fullNameMaxLength) {
      return `full_name is over ${fullNameMaxLength} characters`
    }
    if (!isWellFormedText(fullName)) return 'full_name must be valid Unicode text'
    if (hasControlCharacters(fullName, true)) return 'full_name contains control characters'
  }
  return { username, email, emailCanonical, fullName }
}
