/**
 * `npm start` compiles only when the build is out of date (scripts/build-if-stale.mjs), on a
 * small package whose `tsc` is a stand-in that records that it ran.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { staleSources } from '../scripts/build-if-stale.mjs'

const script = fileURLToPath(new URL('../scripts/build-if-stale.mjs', import.meta.url))
const run = promisify(execFile)
const before = new Date('2026-01-01T00:00:00Z')
const after = new Date('2026-01-02T00:00:00Z')

/** Writes a file with the given modification time, creating its folder. */
function put(root: string, path: string, at: Date, content = '') {
  const file = join(root, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, content)
  utimesSync(file, at, at)
}

/** A package whose build is up to date: sources, tsconfigs, then newer outputs. */
function builtPackage(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-start-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  for (const path of ['src/a.ts', 'src/deep/b.ts', 'tsconfig.json', 'tsconfig.build.json']) {
    put(root, path, before)
  }
  put(root, 'src/types.d.ts', after)
  for (const path of ['dist/src/a.js', 'dist/src/deep/b.js']) put(root, path, after)
  // The stand-in compiler: records each run in a file.
  put(root, 'node_modules/.bin/tsc', before, '#!/bin/sh\necho "$@" >> "$(dirname "$0")/ran"\n')
  chmodSync(join(root, 'node_modules/.bin/tsc'), 0o755)
  return root
}

const ran = (root: string) => join(root, 'node_modules/.bin/ran')

describe('npm start', () => {
  it('uses scripts/build-if-stale.mjs before starting the server', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.equal(pkg.scripts.start, 'node scripts/build-if-stale.mjs && node dist/src/server.js')
  })

  it('does not compile when every output is at least as new as its source', async (t) => {
    const root = builtPackage(t)
    assert.deepEqual(staleSources(root), [])
    const { stdout, stderr } = await run(process.execPath, [script, root])
    assert.equal(stdout + stderr, '')
    assert.equal(existsSync(ran(root)), false)
  })

  it('compiles when a source is newer than its output, or has none', async (t) => {
    const root = builtPackage(t)
    put(root, 'src/deep/b.ts', new Date('2026-01-03T00:00:00Z'))
    put(root, 'src/c.ts', before)
    assert.deepEqual(staleSources(root).sort(), ['src/c.ts', 'src/deep/b.ts'])
    await run(process.execPath, [script, root])
    assert.equal(readFileSync(ran(root), 'utf8'), '-p tsconfig.build.json\n')
  })

  it('compiles when a tsconfig changed after the build', async (t) => {
    const root = builtPackage(t)
    put(root, 'tsconfig.build.json', new Date('2026-01-03T00:00:00Z'))
    assert.deepEqual(staleSources(root), ['tsconfig.build.json'])
    await run(process.execPath, [script, root])
    assert.ok(existsSync(ran(root)))
  })

  it('fails when the compiler fails', async (t) => {
    const root = builtPackage(t)
    put(root, 'src/a.ts', new Date('2026-01-03T00:00:00Z'))
    put(root, 'node_modules/.bin/tsc', before, '#!/bin/sh\nexit 2\n')
    await assert.rejects(run(process.execPath, [script, root]), { code: 2 })
  })
})
