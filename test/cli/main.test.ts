import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { commands } from '../../src/cli/commands.js'
import { runCli as runInProcess } from '../../src/cli/main.js'
import { postgresMigrations } from '../../src/store/migrations/postgres.js'
import { sqliteMigrations } from '../../src/store/migrations/sqlite.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { freshDatabaseUrl } from '../support/engines.js'

const bin = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))

const cli = (dataDir: string, args: string[], stdin = '') =>
  runCli(args, { PORTCULLIS_DATA_DIR: dataDir }, stdin)

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the CLI in this process (for commands that touch no database); collects its output. */
async function inProcess(args: string[]) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => {
    out += d
  })
  stderr.on('data', (d) => {
    err += d
  })
  const code = await runInProcess(args, { stdin: new PassThrough(), stdout, stderr })
  return { code, out, err }
}

describe('portcullis CLI', () => {
  for (const engine of ['sqlite', 'postgres'] as const) {
    it(`migrates a new ${engine} database saying which ran, then reports it up to date`, async (t) => {
      const migrations = engine === 'sqlite' ? sqliteMigrations : postgresMigrations
      const env: Record<string, string> =
        engine === 'sqlite'
          ? { PORTCULLIS_DATA_DIR: tempDir(t) }
          : { PORTCULLIS_DATABASE_URL: await freshDatabaseUrl(t, 'postgres') }
      const first = await runCli(['migrate'], env)
      assert.equal(first.code, 0, first.out)
      assert.equal(first.out, `applied migrations 1–${migrations.at(-1)?.version}\n`)
      const second = await runCli(['migrate'], env)
      assert.equal(second.code, 0, second.out)
      assert.equal(second.out, 'database is up to date\n')
    })
  }

  it('lists every command under --help, and prints each command its own help', async () => {
    const top = await cli('unused', ['--help'])
    assert.equal(top.code, 0)
    for (const c of commands) assert.match(top.stdout, new RegExp(`^ {2}${c.name} `, 'm'))
    for (const c of commands) {
      const res = await inProcess([...c.name.split(' '), '--help'])
      assert.equal(res.code, 0, c.name)
      assert.match(res.out, new RegExp(`^usage: portcullis ${c.name}`), c.name)
      assert.equal(res.err, '')
    }
    const group = await inProcess(['clients', '--help'])
    assert.equal(group.code, 0)
    assert.match(group.out, /clients rotate-secret/)
    assert.doesNotMatch(group.out, /users create/)
  })

  it('exits 2 with one line on an unknown command or option, and lists commands when given none', async (t) => {
    const dir = tempDir(t)
    const unknown = await cli(dir, ['frobnicate'])
    assert.equal(unknown.code, 2)
    assert.equal(
      unknown.stderr,
      'portcullis: unknown command "frobnicate" (see portcullis --help)\n',
    )
    const sub = await cli(dir, ['users', 'frobnicate'])
    assert.equal(sub.code, 2)
    assert.equal(sub.stderr.split('\n').length, 2)
    const option = await cli(dir, ['users', 'list', '--colour'])
    assert.equal(option.code, 2)
    assert.match(
      option.stderr,
      /^portcullis users list: .*--colour.*\(usage: portcullis users list/,
    )
    assert.equal(option.stderr.trim().split('\n').length, 1)
    const none = await inProcess([])
    assert.equal(none.code, 2)
    assert.match(none.err, /^usage: portcullis <command>/)
  })

  it('reports a configuration error in one line, without a stack trace', async () => {
    const res = await runCli(['users', 'list'], { PORTCULLIS_PORT: 'eighty' })
    assert.equal(res.code, 1)
    assert.equal(
      res.stderr,
      'portcullis users list: configuration error: PORTCULLIS_PORT must be an integer from 0 to 65535 (got "eighty")\n',
    )
  })

  it('serves HTTP with `serve` until SIGTERM, then exits 0', async (t) => {
    const dir = tempDir(t)
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), bin, 'serve'], {
      env: { PATH: process.env.PATH ?? '', PORTCULLIS_DATA_DIR: dir, PORTCULLIS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stderr.on('data', (d) => {
      output += d
    })
    for await (const chunk of child.stdout) {
      output += chunk
      if (/Server listening at http:\/\/127\.0\.0\.1:\d+/.test(output)) break
    }
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    assert.ok(url, output)
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0, output)
  })

  it('keeps the old flat names create-user, disable-user and enable-user', async (t) => {
    const dir = tempDir(t)
    assert.equal((await cli(dir, ['create-user', '--username', 'carol'], PASSWORD)).code, 0)
    assert.equal((await cli(dir, ['disable-user', '--username', 'CAROL'])).code, 0)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    assert.equal((await store.users.findByUsername('carol'))?.disabled, true)
    await store.close()
    assert.equal((await cli(dir, ['enable-user', '--username', 'carol'])).code, 0)
  })
})
