import { createRequire } from 'node:module'

type LanguageCommon = typeof import('@zxcvbn-ts/language-common')

// The list is loaded by the first password checked, not at start: decompressing it costs tens of
// milliseconds that a start on an existing database does not need. A synchronous require (the
// package's main file is CommonJS) keeps the check synchronous.
const require = createRequire(import.meta.url)
let blocklist: Set<string> | undefined

/**
 * True when the password is one of the ~49,000 most common passwords of the zxcvbn-ts list
 * (shipped offline in @zxcvbn-ts/language-common). Compared case-insensitively.
 */
export function isCommonPassword(password: string): boolean {
  if (blocklist === undefined) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as LanguageCommon
    blocklist = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  }
  return blocklist.has(password.toLowerCase())
}
