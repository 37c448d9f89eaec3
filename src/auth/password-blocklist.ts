import { createRequire } from 'node:module'

// The list is loaded by the first password checked, not at start: decompressing it costs tens of
// milliseconds that a start on an existing database does not need. A synchronous require (the
// package's files are CommonJS) keeps the check synchronous.
let byLength: readonly string[] | undefined

/**
 * The package's file of common passwords: the list alone, without the other dictionaries its
 * index loads. A file inside the package (which declares no `exports`): the package is pinned,
 * and the blocklist tests fail at once if an upgrade moves it.
 */
const listModule = '@zxcvbn-ts/language-common/dist/passwords.json.cjs'

/**
 * The list as one string per password length, each password between newlines. As 49,000
 * strings in a Set it held about 4 MB of heap; this way it holds 0.4 MB, and a lookup scans
 * only the passwords of its own length (at most 130 KB, and under 1 KB from 13 characters on).
 * The package's own array is let go: its module is dropped from the cache, and the `require`
 * that loaded it (whose module would keep it as a child) is not kept.
 */
function loadBlocklist(): readonly string[] {
  const require = createRequire(import.meta.url)
  const path = require.resolve(listModule)
  const list = require(path) as string[]
  delete require.cache[path]
  const groups: string[][] = []
  for (const password of list) {
    const lower = password.toLowerCase()
    let group = groups[lower.length]
    if (group === undefined) {
      group = []
      groups[lower.length] = group
    }
    group.push(lower)
  }
  return Array.from(groups, (group) => (group ? `\n${group.join('\n')}\n` : ''))
}

/**
 * True when the password is one of the ~49,000 most common passwords of the zxcvbn-ts list
 * (shipped offline in @zxcvbn-ts/language-common). Compared case-insensitively.
 */
export function isCommonPassword(password: string): boolean {
  // No listed password has a newline; one that has one could match two neighbours.
  if (password.includes('\n')) return false
  byLength ??= loadBlocklist()
  const lower = password.toLowerCase()
  const group = byLength[lower.length]
  return group?.includes(`\n${lower}\n`) === true
}
