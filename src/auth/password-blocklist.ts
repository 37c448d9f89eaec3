import { createRequire } from 'node:module'

// The list is loaded by the first password checked, not at start: decompressing it costs tens of
// milliseconds that a start on an existing database does not need. A synchronous require (the
// package's files are CommonJS) keeps the check synchronous.
let blocklist: string | undefined

/** The package's file of common passwords: the list alone, without its other dictionaries. */
const listModule = '@zxcvbn-ts/language-common/dist/passwords.json.cjs'

/**
 * The list as one string, each password between newlines. As 49,000 strings in a Set it held
 * about 4 MB of heap; as one string it holds 0.4 MB. The package's own array is let go: its
 * module is dropped from the cache, and the `require` that loaded it (whose module would keep
 * it as a child) is not kept.
 */
function loadBlocklist(): string {
  const require = createRequire(import.meta.url)
  const path = require.resolve(listModule)
  const list = require(path) as string[]
  delete require.cache[path]
  return `\n${list.join('\n').toLowerCase()}\n`
}

/**
 * True when the password is one of the ~49,000 most common passwords of the zxcvbn-ts list
 * (shipped offline in @zxcvbn-ts/language-common). Compared case-insensitively. A scan of
 * 0.4 MB, well under a millisecond: it runs only where a password is chosen.
 */
export function isCommonPassword(password: string): boolean {
  // No listed password has a newline; one that has one could match two neighbours.
  if (password.includes('\n')) return false
  blocklist ??= loadBlocklist()
  return blocklist.includes(`\n${password.toLowerCase()}\n`)
}
