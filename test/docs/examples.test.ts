/**
 * Examples are tests: every shell block of README.md and docs/*.md either runs as written, in
 * order, against a fresh server started as the README says, or is marked
 * `<!-- not-runnable: reason -->` on the line before it. Each file gets its own server and one
 * shell state, so a variable set in one block (TOKEN, ADMIN, SECRET) is there in the next.
 *
 * The only substitutions: `localhost:8000` and `127.0.0.1:8000` become the test server's free
 * port; the data folder is a temporary one (PORTCULLIS_DATA_DIR); hashing is cheap; and the
 * variables a reader is asked to provide (ADMIN_PASSWORD, PASSWORD) are set. A block fails when
 * it exits non-zero under `set -euo pipefail` (an unset variable included), or when its output
 * holds an `"error"` code the block itself does not announce (as `# 401 invalid_token` does).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type ShellBlock, shellBlocks } from '../support/doc-blocks.js'
import { startServer } from '../support/server-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
]

/** The environment the README asks for before its examples (notes:read for the reports client). */
const documented = { PORTCULLIS_SCOPES: 'email notes:read' }
const readerProvides = {
  ADMIN_PASSWORD: 'an admin passphrase nobody guesses',
  PASSWORD: 'a user passphrase nobody guesses',
}
const cheap = { PORTCULLIS_ARGON2_MEMORY_KIB: '256', PORTCULLIS_ARGON2_ITERATIONS: '1' }

/** What the test refuses to run unmarked: installing, starting servers, root, deleting. */
const unsafe = /\b(npm (install|ci|start|test|run)|sudo|systemctl|rm -rf|portcullis serve)\b/

/** Runs one block in bash with the state the earlier blocks left; saves the state it leaves. */
async function runBlock(
  block: ShellBlock,
  port: number,
  env: Record<string, string>,
  state: string,
) {
  const code = block.code.replaceAll(/(localhost|127\.0\.0\.1):8000\b/g, `127.0.0.1:${port}`)
  const script = [
    `source ${JSON.stringify(state)}`,
    'set -euo pipefail',
    code,
    // Upper-case shell variables the block set, for the next block (never the read-only ones).
    `declare -p | grep -E '^declare -[-x] [A-Z][A-Z0-9_]*=' > ${JSON.stringify(state)} || true`,
  ].join('\n')
  const child = spawn('bash', ['-c', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    out += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [status] = await once(child, 'exit')
  clearTimeout(timer)
  return { status: status as number | null, out }
}

/** Error codes in the output that the block does not name itself. */
function unannouncedErrors(block: ShellBlock, out: string): string[] {
  const codes = [...out.matchAll(/"error"\s*:\s*"([a-z_]+)"/g)].map((m) => m[1] ?? '')
  return codes.filter((c) => !block.code.includes(c))
}

async function runFile(t: TestContext, file: string, blocks: ShellBlock[]) {
  // Never run what installs, starts servers or needs root here: such a block must be marked.
  for (const block of blocks) {
    assert.doesNotMatch(
      block.code,
      unsafe,
      `${file}:${block.line} must be marked <!-- not-runnable: … -->`,
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-examples-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    // npx runs the project's own bin (built by npm test) and must never download anything.
    npm_config_yes: 'false',
    PORTCULLIS_DATA_DIR: join(dir, 'data'),
    ...documented,
    ...cheap,
  }
  const server = await startServer(env, dir)
  t.after(() => server.stop())
  const port = Number(new URL(server.url).port)
  const state = join(dir, 'state.sh')
  writeFileSync(state, '')
  for (const block of blocks) {
    const where = `${file}:${block.line}`
    const { status, out } = await runBlock(block, port, { ...env, ...readerProvides }, state)
    assert.equal(status, 0, `${where} exited with ${status}:\n${block.code}\n--- output:\n${out}`)
    assert.deepEqual(unannouncedErrors(block, out), [], `${where} answered an error:\n${out}`)
  }
}

describe('documentation examples', () => {
  const all = files.map((file) => ({ file, blocks: shellBlocks(join(root, file)) }))

  it('every shell block is runnable or marked not runnable with a reason', () => {
    const count = all.reduce((n, f) => n + f.blocks.length, 0)
    assert.ok(count >= 20, `found only ${count} shell blocks`)
    for (const { blocks } of all) {
      for (const b of blocks) if (b.notRunnable !== undefined) assert.notEqual(b.notRunnable, '')
    }
  })

  for (const { file, blocks } of all) {
    const runnable = blocks.filter((b) => b.notRunnable === undefined)
    if (runnable.length === 0) continue
    it(`${file}: ${runnable.length} examples run as written, in order, on a fresh server`, (t) =>
      runFile(t, file, runnable))
  }
})
