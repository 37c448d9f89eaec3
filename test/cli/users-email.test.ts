import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { messagesTo } from '../support/outbox.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-users-email-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const users = (dir: string, args: string[], stdin = '', env: Record<string, string> = {}) =>
  runCli(['users', ...args], { PORTCULLIS_DATA_DIR: dir, ...env }, stdin)

/** A data folder with bob (bob@example.com) and carol (no address). */
async function withUsers(t: TestContext) {
  const dir = tempDir(t)
  for (const args of [
    ['create', '--username', 'bob', '--email', 'Bob@Example.com'],
    ['create', '--username', 'carol'],
  ]) {
    const created = await users(dir, args, PASSWORD)
    assert.equal(created.code, 0, created.out)
  }
  return dir
}

function openStore(t: TestContext, dir: string) {
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  t.after(() => store.close())
  return store
}

describe('portcullis users verify-email and send-reset', () => {
  it('marks an address verified, audited as the CLI; refuses a user without one', async (t) => {
    const dir = await withUsers(t)
    const done = await users(dir, ['verify-email', '--username', 'bob'])
    assert.equal(done.code, 0, done.out)
    assert.equal(done.out, 'bob: Bob@Example.com verified\n')
    const refused = await users(dir, ['verify-email', '--username', 'carol'])
    assert.equal(refused.code, 1)
    assert.match(refused.out, /the user has no email address to verify\n$/)
    const store = openStore(t, dir)
    assert.equal((await store.users.findByUsername('bob'))?.emailVerified, true)
    assert.equal((await store.users.findByUsername('carol'))?.emailVerified, false)
    const [event] = await store.audit.list({ type: 'admin.user.email_verified', limit: 5 })
    assert.equal(event?.actorId, 'cli')
  })

  it('queues a reset link without printing it; refuses no address, and the flows off', async (t) => {
    const dir = await withUsers(t)
    const queued = await users(dir, ['send-reset', '--username', 'bob'])
    assert.equal(queued.code, 0, queued.out)
    assert.equal(queued.out, 'reset link queued for bob <Bob@Example.com>\n')
    const noAddress = await users(dir, ['send-reset', '--username', 'carol'])
    assert.equal(noAddress.code, 1)
    const off = await users(dir, ['send-reset', '--username', 'bob'], '', {
      PORTCULLIS_EMAIL_FLOWS: 'false',
    })
    assert.equal(off.code, 2)
    assert.match(off.out, /the email flows are off/)
    const store = openStore(t, dir)
    const [link] = await messagesTo(store, 'Bob@Example.com', 'reset_password')
    assert.ok(link, 'one reset message to bob')
    const token = /#token=([A-Za-z0-9_-]{43})/.exec(link.textBody)?.[1]
    assert.ok(token)
    assert.doesNotMatch(queued.out, new RegExp(token))
    assert.equal((await messagesTo(store, 'Bob@Example.com', 'reset_password')).length, 1)
    const [event] = await store.audit.list({ type: 'admin.user.reset_link', limit: 5 })
    assert.equal(event?.actorId, 'cli')
  })
})
