import { invalidRequest } from '../errors.js'
import { isCommonPassword } from './password-blocklist.js'

export interface PasswordPolicy {
  minLength: number
  maxLength: number
}

// A lone UTF-16 surrogate: JSON and form decoding let them through, and every one of them
// would be hashed as the same U+FFFD.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when the password is well-formed Unicode (no lone surrogates). */
export const isWellFormedPassword = (password: string) => !loneSurrogate.test(password)

/** NFKC form of a password; what is hashed and verified (NIST SP 800-63B-4 §3.1.1.2). */
export const normalizePassword = (password: string) => password.normalize('NFKC')

/**
 * Checks a new password against NIST SP 800-63B-4: length counted in code points after NFKC,
 * no composition rules, not a common password, not the username. Returns the normalized
 * password; throws 400 invalid_request naming the rule that failed.
 */
export function checkNewPassword(password: string, username: string, policy: PasswordPolicy) {
  if (!isWellFormedPassword(password)) {
    throw invalidRequest('password must be valid Unicode text (it contains a lone surrogate)')
  }
  const normalized = normalizePassword(password)
  const length = [...normalized].length
  if (length < policy.minLength) {
    throw invalidRequest(`password must be at least ${policy.minLength} characters`)
  }
  if (length > policy.maxLength) {
    throw invalidRequest(`password must be at most ${policy.maxLength} characters`)
  }
  if (isCommonPassword(normalized)) {
    throw invalidRequest('password is too common: it is on a list of breached passwords')
  }
  if (normalized.toLowerCase().includes(username)) {
    throw invalidRequest('password must not contain the username')
  }
  return normalized
}
