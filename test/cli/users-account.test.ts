import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import * as argon2 from '@node-rs/argon2'
import { confirm } from '../../src/cli/confirm.js'
import { runCli as runInProcess } from '../../src/cli/main.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'

const NEW_PASSWORD = 'a brand new passphrase, seven words long'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-account-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const users = (dir: string, args: string[], stdin = '') =>
  runCli(['users', ...args], { PORTCULLIS_DATA_DIR: dir }, stdin)

/** A data folder with user bob and two live sessions of his; returns the open store too. */
async function withBob(t: TestContext) {
  const dir = tempDir(t)
  const created = await users(dir, ['create', '--username', 'bob'], PASSWORD)
  assert.equal(created.code, 0, created.out)
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  t.after(() => store.close())
  const bob = await store.users.findByUsername('bob')
  assert.ok(bob)
  const now = new Date()
  const later = new Date(now.getTime() + 3_600_000).toISOString()
  for (const n of [1, 2]) {
    await store.sessions.create(
      {
        id: `00000000-0000-4000-8000-00000000000${n}`,
        userId: bob.id,
        clientId: 'portcullis',
        scope: 'openid',
        ip: null,
        userAgent: null,
        createdAt: now.toISOString(),
        lastUsedAt: now.toISOString(),
        idleExpiresAt: later,
        absoluteExpiresAt: later,
        revokedAt: null,
        resource: null,
        browserSessionId: null,
        amr: ['pwd'],
        authTime: now.toISOString(),
      },
      `token-hash-${n}`,
    )
  }
  return { dir, store, bob }
}

/** A terminal stand-in: typed text goes to `input`; what is shown collects in `shown()`. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (d) => {
    shown += d
  })
  const waitFor = async (text: string) => {
    while (!shown.includes(text)) await once(output, 'data')
  }
  return { input, output, shown: () => shown, waitFor }
}

describe('portcullis --version', () => {
  it('prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const res = await runCli(['--version'], {})
    assert.equal(res.code, 0, res.out)
    assert.equal(res.stdout, `portcullis ${pkg.version}\n`)
    assert.equal(res.stderr, '')
  })
})

describe('portcullis users delete', () => {
  it('requires --yes when stdin is not a terminal, then deletes the user and its sessions, audited', async (t) => {
    const { dir, store, bob } = await withBob(t)
    const refused = await users(dir, ['delete', '--username', 'bob'])
    assert.equal(refused.code, 2)
    assert.equal(
      refused.stderr,
      'portcullis users delete: --yes is required when standard input is not a terminal ' +
        '(usage: portcullis users delete --username NAME [--yes])\n',
    )
    assert.notEqual(await store.users.findById(bob.id), null)

    const deleted = await users(dir, ['delete', '--username', 'BOB', '--yes'])
    assert.equal(deleted.code, 0, deleted.out)
    assert.equal(deleted.stdout, 'deleted bob\n')
    assert.equal(await store.users.findById(bob.id), null)
    assert.deepEqual(await store.sessions.listForUser(bob.id), [])
    const [event] = await store.audit.list({ type: 'admin.user.delete', limit: 10 })
    assert.equal(event?.userId, bob.id)
    assert.equal(event?.actorId, 'cli')

    const again = await users(dir, ['delete', '--username', 'bob', '--yes'])
    assert.equal(again.code, 1)
    assert.equal(again.stderr, 'portcullis users delete: no user bob\n')
  })

  it('asks on a terminal and deletes only on yes', async (t) => {
    const { dir, store, bob } = await withBob(t)
    const saved = process.env.PORTCULLIS_DATA_DIR
    process.env.PORTCULLIS_DATA_DIR = dir
    t.after(() => {
      if (saved === undefined) delete process.env.PORTCULLIS_DATA_DIR
      else process.env.PORTCULLIS_DATA_DIR = saved
    })
    const ask = async (answer: string) => {
      const tty = fakeTerminal()
      const stdout = new PassThrough()
      let out = ''
      stdout.on('data', (d) => {
        out += d
      })
      const stderr = Object.assign(tty.output, { isTTY: true })
      const code = runInProcess(['users', 'delete', '--username', 'bob'], {
        stdin: tty.input,
        stdout,
        stderr,
      })
      await tty.waitFor('[y/N] ')
      tty.input.write(`${answer}\r`)
      return { code: await code, out, shown: stripVTControlCharacters(tty.shown()) }
    }
    const no = await ask('n')
    assert.equal(no.code, 1)
    assert.equal(
      no.shown,
      'Delete user bob and end its sessions? [y/N] n\r\n' +
        'portcullis users delete: cancelled; nothing was changed\n',
    )
    assert.notEqual(await store.users.findById(bob.id), null)

    const yes = await ask('yes')
    assert.equal(yes.code, 0, yes.shown)
    assert.equal(yes.out, 'deleted bob\n')
    assert.equal(await store.users.findById(bob.id), null)
  })

  it('confirm: goes ahead on y or yes, refuses anything else and Ctrl-C', async () => {
    for (const [typed, ok] of [
      ['y', true],
      ['YES', true],
      ['', false],
      ['no', false],
      ['\x03', false],
    ] as const) {
      const tty = fakeTerminal()
      const io = { stdin: tty.input, stdout: new PassThrough(), stderr: tty.output }
      const answer = confirm('Really?', io, false)
      await tty.waitFor('Really? [y/N] ')
      tty.input.write(typed === '\x03' ? typed : `${typed}\r`)
      if (ok) await answer
      else {
        await assert.rejects(answer, {
          name: 'CliError',
          message: 'cancelled; nothing was changed',
        })
      }
    }
  })
})

describe('portcullis users set-password', () => {
  it('sets a password under the policy from stdin, ends every session, audited without the password', async (t) => {
    const { dir, store, bob } = await withBob(t)
    const weak = await users(dir, ['set-password', '--username', 'bob'], 'short\n')
    assert.equal(weak.code, 1)
    assert.equal(
      weak.stderr,
      'portcullis users set-password: password must be at least 15 characters\n',
    )
    assert.equal((await store.sessions.listForUser(bob.id)).filter((s) => !s.revokedAt).length, 2)

    const set = await users(dir, ['set-password', '--username', 'Bob'], `${NEW_PASSWORD}\n`)
    assert.equal(set.code, 0, set.out)
    assert.equal(set.stdout, 'bob: password set; 2 sessions ended\n')
    assert.equal(set.stderr, '')
    const fresh = await store.users.findById(bob.id)
    assert.ok(await argon2.verify(fresh?.passwordHash ?? '', NEW_PASSWORD))
    assert.equal(await argon2.verify(fresh?.passwordHash ?? '', PASSWORD), false)
    const sessions = await store.sessions.listForUser(bob.id)
    assert.equal(sessions.length, 2)
    assert.ok(sessions.every((s) => s.revokedAt !== null))
    const events = await store.audit.list({ type: 'admin.user.password', limit: 10 })
    assert.equal(events.length, 1)
    assert.equal(events[0]?.userId, bob.id)
    assert.equal(events[0]?.actorId, 'cli')
    assert.deepEqual(JSON.parse(events[0]?.detail ?? 'null'), { sessions_ended: 2 })

    const nobody = await users(dir, ['set-password', '--username', 'nobody'], NEW_PASSWORD)
    assert.equal(nobody.code, 1)
    assert.equal(nobody.stderr, 'portcullis users set-password: no user nobody\n')
    const empty = await users(dir, ['set-password', '--username', 'bob'], '')
    assert.equal(empty.stderr, 'portcullis users set-password: no password on standard input\n')
  })
})
