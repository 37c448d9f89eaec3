// `npm start` runs this before the server: it compiles dist/ with tsc only when a source is
// newer than its output, so a start with an up-to-date build costs milliseconds, not seconds.
// Plain JavaScript: it must run before anything is compiled.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const configs = ['tsconfig.json', 'tsconfig.build.json']

/** A file's modification time in ms, or -1 when it does not exist. */
function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

/**
 * Why `root`'s dist/ is out of date: every source under src/ (a `.ts` file, not `.d.ts`)
 * whose compiled `.js` in dist/src/ is missing or older than it, and the tsconfig files newer
 * than the oldest up-to-date output. Empty when the build is up to date. tsc rewrites every output on
 * each build, so an output at least as new as its source was compiled from it.
 *
 * @param {string} root the package directory
 * @returns {string[]} the stale paths, relative to `root`
 */
export function staleSources(root) {
  const stale = []
  let oldestOutput = Number.POSITIVE_INFINITY
  const entries = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue
    const source = join(entry.parentPath, entry.name)
    const path = relative(root, source)
    const output = mtime(join(root, 'dist', path.replace(/\.ts$/, '.js')))
    if (output < mtime(source)) stale.push(path)
    else oldestOutput = Math.min(oldestOutput, output)
  }
  for (const config of configs) {
    if (mtime(join(root, config)) > oldestOutput) stale.push(config)
  }
  return stale
}

// Run as a program: `node scripts/build-if-stale.mjs [root]`, root defaulting to this package.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..')
  if (staleSources(root).length > 0) {
    const tsc = join(root, 'node_modules', '.bin', 'tsc')
    const build = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
    if (build.error) throw build.error
    process.exitCode = build.status ?? 1
  }
}
