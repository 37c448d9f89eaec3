// The server as `npm start` runs it: src/server.ts and the cluster's worker script bundled with
// esbuild into dist/bundle/, after tsc has type-checked and compiled dist/src/ (the CLI and the
// published verifier run from there). Node 20 loads each ES module file on its own (resolve,
// read, compile, link): the ~240 files of src/ the server loads and the ~420 of typebox and
// jose cost about 300 ms of every start, and one bundle with a few lazily loaded chunks costs a
// fraction of it.
// Plain JavaScript: it runs before anything is compiled.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * The dependencies compiled into the bundle: pure ES modules spread over hundreds of small
 * files. Every other dependency stays an import resolved from node_modules at run time: native
 * addons (argon2, bcrypt, better-sqlite3), CommonJS packages that load parts of themselves by
 * path (fastify's schema compilers, pino's transports), and packages loaded only on demand.
 */
export const BUNDLED = ['typebox', 'jose']

/** Where `npm start` finds the server, relative to the package root. */
export const BUNDLE_DIR = 'dist/bundle'

/**
 * Bundles `root`'s src/server.ts and src/cluster/worker-entry.ts into `root`/dist/bundle/
 * (server.js and worker-entry.js side by side, as src/cluster/primary.ts expects, with shared
 * and lazily imported code in chunks beside them) with linked source maps.
 *
 * @param {string} root the package directory
 */
export async function bundle(root) {
  const { build } = await import('esbuild')
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const external = Object.keys(pkg.dependencies ?? {})
    .filter((name) => !BUNDLED.includes(name))
    .flatMap((name) => [name, `${name}/*`])
  // Chunk names carry a hash of their content: the last build's chunks would stay behind.
  rmSync(join(root, BUNDLE_DIR), { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    entryPoints: ['src/server.ts', 'src/cluster/worker-entry.ts'],
    entryNames: '[name]',
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    sourcemap: 'linked',
    logLevel: 'warning',
  })
}

// Run as a program: `node scripts/bundle.mjs [root]`, root defaulting to this package.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundle(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..'))
}
