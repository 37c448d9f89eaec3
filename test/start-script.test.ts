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
import { startArguments } from '../scripts/start-command.mjs'

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
  for (const path of ['dist/src/a.js', 'dist/src/deep/b.js', 'dist/bundle/server.js']) {
    put(root, path, after)
  }
  // The stand-ins of the compiler and the bundler: each records its runs in one file.
  put(root, 'node_modules/.bin/tsc', before, '#!/bin/sh\necho "tsc $@" >> "$(dirname "$0")/ran"\n')
  chmodSync(join(root, 'node_modules/.bin/tsc'), 0o755)
  put(
    root,
    'scripts/bundle.mjs',
    before,
    "import { appendFileSync } from 'node:fs'\nappendFileSync(new URL('../node_modules/.bin/ran', import.meta.url), 'bundle ' + process.argv[2] + '\\n')\n",
  )
  return root
}

const ran = (root: string) => join(root, 'node_modules/.bin/ran')
const bothSteps = (root: string) => `tsc -p tsconfig.build.json\nbundle ${root}\n`

describe('npm start', () => {
  it('uses scripts/build-if-stale.mjs before starting the server', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.match(
      pkg.scripts.start,
      /^node scripts\/build-if-stale\.mjs && node .*dist\/bundle\/server\.js$/,
    )
    assert.deepEqual(
      startArguments(fileURLToPath(new URL('..', import.meta.url))).at(-1),
      'dist/bundle/server.js',
    )
  })

  it('is what the systemd unit of deploy/ runs, node flags included', () => {
    const unit = readFileSync(new URL('../deploy/portcullis@.service', import.meta.url), 'utf8')
    const exec = /^ExecStart=\/usr\/bin\/node (.+)$/m.exec(unit)?.[1]?.split(' ')
    const start = startArguments(fileURLToPath(new URL('..', import.meta.url)))
    assert.deepEqual(exec, [...start.slice(0, -1), `/opt/portcullis/${start.at(-1)}`])
  })

  it('builds with tsc, then the bundle, as npm run build does', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.equal(pkg.scripts.build, 'tsc -p tsconfig.build.json && node scripts/bundle.mjs')
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
    assert.equal(readFileSync(ran(root), 'utf8'), bothSteps(root))
  })

  it('builds when a source is newer than the bundle, or the bundle is missing', async (t) => {
    const root = builtPackage(t)
    put(root, 'dist/bundle/server.js', new Date('2025-12-31T00:00:00Z'))
    // The configuration files and the bundle script are newer than the oldest output (the bundle) too.
    const all = [
      'scripts/bundle.mjs',
      'src/a.ts',
      'src/deep/b.ts',
      'tsconfig.build.json',
      'tsconfig.json',
    ]
    assert.deepEqual(staleSources(root).sort(), all)
    rmSync(join(root, 'dist/bundle/server.js'))
    assert.deepEqual(staleSources(root).sort(), all)
    await run(process.execPath, [script, root])
    assert.equal(readFileSync(ran(root), 'utf8'), bothSteps(root))
  })

  it('builds when package.json (the dependencies the bundle leaves out) changed', (t) => {
    const root = builtPackage(t)
    put(root, 'package.json', new Date('2026-01-03T00:00:00Z'), '{}')
    assert.deepEqual(staleSources(root), ['package.json'])
  })

  it('builds when the bundle script changed', (t) => {
    const root = builtPackage(t)
    put(root, 'scripts/bundle.mjs', new Date('2026-01-03T00:00:00Z'))
    assert.deepEqual(staleSources(root), ['scripts/bundle.mjs'])
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
    // The bundle is not built from sources that did not compile.
    assert.equal(existsSync(ran(root)), false)
  })
})
