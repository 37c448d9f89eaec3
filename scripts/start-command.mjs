// What `npm start` runs after building: package.json's start script is the one place that
// names the server's entry and its node flags; the benchmark and the tests that start the
// server as a process read them from here, so they measure and test what a user runs.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The arguments `npm start` passes to node to run the server (flags, then the entry file,
 * relative to `root`): the words after the last `&& node ` of package.json's start script.
 *
 * @param {string} root the package directory
 * @returns {string[]}
 */
export function startArguments(root) {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const command = /&&\s*node\s+([^&|;]+)$/.exec(scripts?.start ?? '')
  if (!command?.[1]) throw new Error(`package.json's start script does not end in "&& node …"`)
  return command[1].trim().split(/\s+/)
}
