import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'

const cli = (dataDir: string, args: string[], stdin = '') =>
  runCli(args, { PORTCULLIS_DATA_DIR: dataDir }, stdin)

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('portcullis CLI', () => {
  it('migrates a new database, then reports it up to date', async (t) => {
    const dir = tempDir(t)
    const first = await cli(dir, ['migrate'])
    assert.equal(first.code, 0)
    assert.match(first.out, /up to date|applied/)
    const second = await cli(dir, ['migrate'])
    assert.equal(second.out.trim(), 'database is up to date')
  })

  it('creates a user with the password from stdin, never argv, under the same policy', async (t) => {
    const dir = tempDir(t)
    const ok = await cli(
      dir,
      ['create-user', '--username', 'Admin', '--email', 'a@b.io'],
      `${PASSWORD}\n`,
    )
    assert.equal(ok.code, 0, ok.out)
    const weak = await cli(dir, ['create-user', '--username', 'bob'], 'short\n')
    assert.equal(weak.code, 1)
    assert.match(weak.out, /at least 15/)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    t.after(() => store.close())
    const user = await store.users.findByUsername('admin')
    assert.match(user?.passwordHash ?? '', /^\$argon2id\$/)
  })

  it('disables and enables a user', async (t) => {
    const dir = tempDir(t)
    await cli(dir, ['create-user', '--username', 'carol'], PASSWORD)
    assert.equal((await cli(dir, ['disable-user', '--username', 'CAROL'])).code, 0)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    assert.equal((await store.users.findByUsername('carol'))?.disabled, true)
    await store.close()
    assert.equal((await cli(dir, ['enable-user', '--username', 'carol'])).code, 0)
    assert.equal((await cli(dir, ['disable-user', '--username', 'nobody'])).code, 1)
  })

  it('exits 2 with usage on an unknown command', async (t) => {
    const res = await cli(tempDir(t), ['frobnicate'])
    assert.equal(res.code, 2)
    assert.match(res.out, /usage: portcullis/)
  })
})
