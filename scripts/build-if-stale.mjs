// `npm start` runs this before the server: it builds dist/ (tsc, then the bundle of
// scripts/bundle.mjs) only when a source is newer than its output, so a start with an
// up-to-date build costs milliseconds, not seconds.
// Plain JavaScript: it must run before anything is compiled.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BUNDLE_DIR } from './bundle.mjs'

/**
 * Files whose change changes the build: the compiler's settings, the dependencies the bundle
 * leaves out, and the bundle's own settings.
 */
const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/bundle.mjs']

/** The bundle's entry, which every bundle build rewrites (scripts/bundle.mjs). */
const bundleEntry = join(BUNDLE_DIR, 'server.js')

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
 * whose compiled `.js` in dist/src/ is missing or older than it, or that is newer than the
 * bundle (dist/bundle/server.js), and the configuration files newer than the oldest output.
 * Empty when the build is up to date. tsc rewrites every output on each build, and the bundle
 * is rewritten whole, so an output at least as new as its source was built from it.
 *
 * @param {string} root the package directory
 * @returns {string[]} the stale paths, relative to `root`
 */
export function staleSources(root) {
  const stale = []
  const bundled = mtime(join(root, bundleEntry))
  let oldestOutput = bundled
  const entries = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue
    const source = join(entry.parentPath, entry.name)
    const path = relative(root, source)
    const output = mtime(join(root, 'dist', path.replace(/\.ts$/, '.js')))
    const changed = mtime(source)
    if (output < changed || bundled < changed) stale.push(path)
    else oldestOutput = Math.min(oldestOutput, output)
  }
  for (const config of configs) {
    if (mtime(join(root, config)) > oldestOutput) stale.push(config)
  }
  return stale
}

/** Runs one build step in `root`; exits the process with its status when it fails. */
function step(root, command, args) {
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (run.error) throw run.error
  if (run.status !== 0) process.exit(run.status ?? 1)
}

// Run as a program: `node scripts/build-if-stale.mjs [root]`, root defaulting to this package.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..')
  if (staleSources(root).length > 0) {
    // The same two steps as `npm run build`, without npm's start-up.
    step(root, join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'])
    step(root, process.execPath, [join(root, 'scripts', 'bundle.mjs'), root])
  }
}
