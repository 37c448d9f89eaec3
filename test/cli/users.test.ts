import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-users-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const users = (dir: string, args: string[], stdin = '') =>
  runCli(['users', ...args], { PORTCULLIS_DATA_DIR: dir }, stdin)

function openDb(t: TestContext, dir: string) {
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  t.after(() => store.close())
  return store
}

describe('portcullis users', () => {
  it('creates a user and an admin with the password from stdin, under the same policy, audited', async (t) => {
    const dir = tempDir(t)
    const ok = await users(
      dir,
      ['create', '--username', 'Admin', '--email', 'a@b.io', '--full-name', 'Ada Admin', '--admin'],
      `${PASSWORD}\n`,
    )
    assert.equal(ok.code, 0, ok.out)
    assert.match(ok.stdout, /^created user admin \([0-9a-f-]{36}\) with roles user, admin\n$/)
    assert.doesNotMatch(ok.out, new RegExp(PASSWORD))
    const plain = await users(dir, ['create', '--username', 'bob'], PASSWORD)
    assert.equal(plain.code, 0, plain.out)

    const weak = await users(dir, ['create', '--username', 'carol'], 'short\n')
    assert.equal(weak.code, 1)
    assert.equal(weak.stderr, 'portcullis users create: password must be at least 15 characters\n')
    const taken = await users(dir, ['create', '--username', 'ADMIN'], PASSWORD)
    assert.equal(taken.stderr, 'portcullis users create: that username is already registered\n')
    const empty = await users(dir, ['create', '--username', 'dave'], '')
    assert.equal(empty.stderr, 'portcullis users create: no password on standard input\n')

    const store = openDb(t, dir)
    const admin = await store.users.findByUsername('admin')
    assert.match(admin?.passwordHash ?? '', /^\$argon2id\$/)
    assert.deepEqual(admin?.roles, ['user', 'admin'])
    assert.equal(admin?.fullName, 'Ada Admin')
    assert.deepEqual((await store.users.findByUsername('bob'))?.roles, ['user'])
    const events = await store.audit.list({ type: 'admin.user.create', limit: 10 })
    assert.deepEqual(
      events.map((e) => [e.userId, e.actorId]).sort(),
      [
        [admin?.id, 'cli'],
        [(await store.users.findByUsername('bob'))?.id, 'cli'],
      ].sort(),
    )
  })

  it('lists users as a table, with search and paging', async (t) => {
    const dir = tempDir(t)
    for (const name of ['alice', 'bob', 'carol']) {
      const email = name === 'alice' ? [] : ['--email', `${name}@example.com`]
      assert.equal((await users(dir, ['create', '--username', name, ...email], PASSWORD)).code, 0)
    }
    const store = openDb(t, dir)
    const carol = await store.users.findByUsername('carol')
    await store.users.setEmailVerified(carol?.id ?? '', true, new Date().toISOString())
    const all = await users(dir, ['list'])
    assert.equal(all.code, 0, all.out)
    const lines = all.stdout.trim().split('\n')
    assert.match(lines[0] ?? '', /^USERNAME +ID +ROLES +DISABLED +VERIFIED +CREATED$/)
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/ +/)[0]),
      ['alice', 'bob', 'carol'],
    )
    // VERIFIED: - without an address, then no and yes.
    assert.match(lines[1] ?? '', /^alice +[0-9a-f-]{36} +user +no +- +\d{4}-\d\d-\d\dT/)
    assert.match(lines[2] ?? '', /^bob +[0-9a-f-]{36} +user +no +no +\d{4}-/)
    assert.match(lines[3] ?? '', /^carol +[0-9a-f-]{36} +user +no +yes +\d{4}-/)
    const page = await users(dir, ['list', '--limit', '1', '--after', 'alice'])
    assert.match(page.stdout, /^bob /m)
    assert.doesNotMatch(page.stdout, /^(alice|carol) /m)
    assert.match(page.stderr, /more may follow: --after bob/)
    const search = await users(dir, ['list', '--search', 'CAR'])
    assert.equal(search.stdout.trim().split('\n').length, 2)
    assert.equal((await users(dir, ['list', '--limit', 'many'])).code, 2)
  })

  it('disables (ending sessions) and enables a user, and sets roles, audited as the CLI', async (t) => {
    const dir = tempDir(t)
    await users(dir, ['create', '--username', 'mallory'], PASSWORD)
    const disabled = await users(dir, ['disable', '--username', 'MALLORY'])
    assert.equal(disabled.code, 0, disabled.out)
    assert.equal(disabled.stdout, 'disabled mallory\n')
    const store = openDb(t, dir)
    assert.equal((await store.users.findByUsername('mallory'))?.disabled, true)
    assert.equal((await users(dir, ['enable', '--username', 'mallory'])).code, 0)
    assert.equal((await store.users.findByUsername('mallory'))?.disabled, false)

    const roles = await users(dir, ['set-roles', '--username', 'mallory', '--roles', 'user,admin'])
    assert.equal(roles.code, 0, roles.out)
    assert.equal(roles.stdout, 'mallory: roles user, admin\n')
    assert.deepEqual((await store.users.findByUsername('mallory'))?.roles, ['user', 'admin'])
    const types = (await store.audit.list({ limit: 10 })).map((e) => `${e.type}:${e.actorId}`)
    for (const type of ['admin.user.disable', 'admin.user.enable', 'admin.user.roles']) {
      assert.ok(types.includes(`${type}:cli`), type)
    }
  })

  it('fails in one line: unknown role, unknown user, missing option', async (t) => {
    const dir = tempDir(t)
    await users(dir, ['create', '--username', 'trent'], PASSWORD)
    const role = await users(dir, ['set-roles', '--username', 'trent', '--roles', 'user wizard'])
    assert.equal(role.code, 1)
    assert.equal(role.stderr, 'portcullis users set-roles: unknown roles: wizard\n')
    const nobody = await users(dir, ['disable', '--username', 'nobody'])
    assert.equal(nobody.code, 1)
    assert.equal(nobody.stderr, 'portcullis users disable: no user nobody\n')
    const missing = await users(dir, ['set-roles', '--username', 'trent'])
    assert.equal(missing.code, 2)
    assert.match(
      missing.stderr,
      /^portcullis users set-roles: --roles is required \(usage: [^\n]*\)\n$/,
    )
  })
})
