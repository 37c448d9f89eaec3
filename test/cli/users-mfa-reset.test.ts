import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-mfa-reset-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const users = (dir: string, args: string[], stdin = '') =>
  runCli(['users', ...args], { PORTCULLIS_DATA_DIR: dir }, stdin)

describe('portcullis users mfa-reset', () => {
  it('requires --yes off a terminal, then removes every factor and recovery code, audited', async (t) => {
    const dir = tempDir(t)
    const created = await users(dir, ['create', '--username', 'bob'], PASSWORD)
    assert.equal(created.code, 0, created.out)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    t.after(() => store.close())
    const bob = await store.users.findByUsername('bob')
    assert.ok(bob)
    const at = new Date().toISOString()
    await store.mfaFactors.insert({
      id: 'totp-1',
      userId: bob.id,
      kind: 'totp',
      name: 'Authenticator app',
      secret: 'JBSWY3DPEHPK3PXP',
      lastStep: null,
      credentialId: null,
      publicKey: null,
      signCount: null,
      transports: [],
      backupEligible: false,
      backedUp: false,
      createdAt: at,
      confirmedAt: at,
      lastUsedAt: null,
    })
    await store.recoveryCodes.replace(bob.id, ['h1', 'h2'], at)

    const refused = await users(dir, ['mfa-reset', '--username', 'bob'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /--yes is required when standard input is not a terminal/)
    assert.equal((await store.mfaFactors.listForUser(bob.id)).length, 1)

    const reset = await users(dir, ['mfa-reset', '--username', 'BOB', '--yes'])
    assert.equal(reset.code, 0, reset.out)
    assert.equal(reset.stdout, 'removed 1 second factor of bob\n')
    assert.deepEqual(await store.mfaFactors.listForUser(bob.id), [])
    assert.equal(await store.recoveryCodes.remaining(bob.id), 0)
    const [event] = await store.audit.list({ type: 'admin.user.mfa_reset', limit: 10 })
    assert.equal(event?.userId, bob.id)
    assert.equal(event?.actorId, 'cli')

    const none = await users(dir, ['mfa-reset', '--username', 'bob', '--yes'])
    assert.equal(none.stdout, 'removed 0 second factors of bob\n')
    const unknown = await users(dir, ['mfa-reset', '--username', 'nobody', '--yes'])
    assert.equal(unknown.code, 1)
    assert.equal(unknown.stderr, 'portcullis users mfa-reset: no user nobody\n')
  })
})
