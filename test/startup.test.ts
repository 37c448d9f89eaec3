/**
 * The start-up line: one human line after start when standard output is a terminal (here a
 * real pseudo-terminal from util-linux `script`), and only the JSON logs otherwise.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { describeStore, startupLine } from '../src/startup-line.js'
import { startServer } from './support/server-process.js'

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url))
const tsxLoader = import.meta.resolve('tsx')
const human =
  /Portcullis is listening on (http:\/\/127\.0\.0\.1:\d+) \(docs: \1\/docs, store: ([^)]*)\)\.(.*)/
const hint = ' No admin yet: create one with `npx portcullis users create --username NAME --admin`.'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-startup-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Resolves with the output once it matches `pattern`; rejects if the process exits first. */
function waitFor(child: ChildProcess, output: () => string, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out:\n${output()}`)), 30_000)
    const check = () => {
      if (!pattern.test(output())) return
      clearTimeout(timer)
      child.stdout?.off('data', check)
      resolve(output())
    }
    child.stdout?.on('data', check)
    child.once('exit', () => reject(new Error(`exited:\n${output()}`)))
    check()
  })
}

/** Starts the server with its standard output on a pseudo-terminal; returns the output. */
async function startOnTerminal(t: TestContext, env: Record<string, string>): Promise<string> {
  const command = `exec '${process.execPath}' --import '${tsxLoader}' '${serverEntry}'`
  const child = spawn(
    'script',
    ['--quiet', '--flush', '--return', '--command', command, '/dev/null'],
    {
      env: { PATH: process.env.PATH ?? '', PORTCULLIS_PORT: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
  let output = ''
  child.stdout.on('data', (d) => {
    output += d
  })
  child.stderr.on('data', (d) => {
    output += d
  })
  return waitFor(child, () => output, human)
}

describe('the start-up line', () => {
  it('says where, the docs, the store, and to create an admin when there is none', () => {
    const facts = { url: 'http://127.0.0.1:8000', cwd: '/srv/portcullis' }
    assert.equal(
      startupLine({
        ...facts,
        databaseUrl: 'sqlite:/srv/portcullis/data/portcullis.db',
        adminExists: false,
      }),
      `Portcullis is listening on http://127.0.0.1:8000 (docs: http://127.0.0.1:8000/docs, store: SQLite at data/portcullis.db).${hint}`,
    )
    assert.equal(
      startupLine({ ...facts, databaseUrl: 'sqlite::memory:', adminExists: true }),
      'Portcullis is listening on http://127.0.0.1:8000 (docs: http://127.0.0.1:8000/docs, store: SQLite in memory).',
    )
  })

  it('names the store without credentials', () => {
    assert.equal(
      describeStore('sqlite:/var/lib/p.db', '/srv/portcullis'),
      'SQLite at /var/lib/p.db',
    )
    const postgres = describeStore(
      'postgres://portcullis:s3cret@db.internal:5432/auth?password=other&sslmode=require',
    )
    assert.equal(postgres, 'PostgreSQL at db.internal:5432/auth')
  })

  it('is printed once after start on a terminal, with the admin hint until an admin exists', {
    timeout: 90_000,
  }, async (t) => {
    const dir = tempDir(t)
    const fresh = await startOnTerminal(t, { PORTCULLIS_DATA_DIR: dir })
    const lines = fresh.split(/\r?\n/).filter((line) => human.test(line))
    assert.equal(lines.length, 1, fresh)
    const [, , store, next] = human.exec(lines[0] ?? '') ?? []
    assert.equal(store, `SQLite at ${join(dir, 'portcullis.db')}`)
    assert.equal(next, hint)
    // The JSON lines come first, as they are.
    assert.match(fresh, /"msg":"portcullis ready"\}\r?\n.*Portcullis is listening/)
  })

  it('has no admin hint when an enabled admin exists', { timeout: 90_000 }, async (t) => {
    const output = await startOnTerminal(t, {
      PORTCULLIS_DATA_DIR: tempDir(t),
      PORTCULLIS_ARGON2_MEMORY_KIB: '256',
      PORTCULLIS_ARGON2_ITERATIONS: '1',
      PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: 'root',
      PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: 'a long and unguessable bootstrap phrase',
    })
    const [, , , next] = human.exec(output) ?? []
    assert.equal(next, '')
  })

  it('is not printed when standard output is not a terminal: only JSON lines', {
    timeout: 90_000,
  }, async (t) => {
    const server = await startServer({ PORTCULLIS_DATA_DIR: tempDir(t) })
    t.after(() => server.stop())
    // The line would come right after start, before this request's access log line.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
    await waitFor(server.child, server.output, /"path":"\/healthz"/)
    const lines = server.output().trimEnd().split('\n')
    assert.doesNotMatch(server.output(), /Portcullis is listening/)
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line)
  })
})
