import { dictionary } from '@zxcvbn-ts/language-common'

let blocklist: Set<string> | undefined

/**
 * True when the password is one of the ~49,000 most common passwords of the zxcvbn-ts list
 * (shipped offline in @zxcvbn-ts/language-common). Compared case-insensitively.
 */
export function isCommonPassword(password: string): boolean {
  blocklist ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  return blocklist.has(password.toLowerCase())
}
