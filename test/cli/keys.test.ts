import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { newTotp } from '../store/contract-mfa.js'
import { runCli } from '../support/cli.js'

describe('portcullis keys', () => {
  it('rotates (published now, signing later) and lists the ring', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const env = { PORTCULLIS_DATA_DIR: dir }
    // On an empty ring, rotating first creates the signing key the server would have created.
    const rotated = await runCli(['keys', 'rotate', '--activate-in', '600'], env)
    assert.equal(rotated.code, 0, rotated.out)
    const kid = rotated.out.split('\n')[0]
    assert.match(kid ?? '', /^[A-Za-z0-9_-]{43}$/)
    const listed = await runCli(['keys', 'list'], env)
    assert.equal(listed.code, 0, listed.out)
    assert.match(listed.out, /^[A-Za-z0-9_-]{43} {2}ES256 {2}active/m)
    assert.match(listed.out, new RegExp(`^${kid} {2}ES256 {2}next`, 'm'))
    assert.equal((await runCli(['keys', 'rotate', '--activate-in', 'soon'], env)).code, 2)
  })
})

describe('portcullis keys list', () => {
  it('on an empty database prints no keys and creates none', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const listed = await runCli(['keys', 'list'], { PORTCULLIS_DATA_DIR: dir })
    assert.equal(listed.code, 0, listed.out)
    assert.equal(listed.out, '')
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    try {
      assert.deepEqual(await store.signingKeys.list(), [])
    } finally {
      await store.close()
    }
  })
})

describe('portcullis keys seal and keys revoke', () => {
  const KEY = Buffer.alloc(32, 3).toString('base64')

  function dataDir(t: import('node:test').TestContext) {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    return dir
  }

  async function stored(dir: string) {
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    try {
      return {
        keys: await store.signingKeys.list(),
        secrets: await store.secrets.list(),
        audit: await store.audit.list({ type: 'key.revoke', limit: 10 }),
        factors: await store.mfaFactors.page(null, 10),
      }
    } finally {
      await store.close()
    }
  }

  it('seals what is in clear in place, reports counts, and changes nothing on a rerun', async (t) => {
    const dir = dataDir(t)
    const env = { PORTCULLIS_DATA_DIR: dir }
    assert.equal((await runCli(['users', 'create', '--username', 'alice'], env, PASSWORD)).code, 0)
    const db = openSqliteStore(join(dir, 'portcullis.db'))
    const alice = await db.users.findByUsername('alice')
    await db.mfaFactors.insert(newTotp(alice?.id ?? '', { confirmedAt: alice?.createdAt ?? '' }))
    await db.close()
    const refused = await runCli(['keys', 'seal'], env)
    assert.equal(refused.code, 1)
    assert.equal(
      refused.stderr,
      'portcullis keys seal: set PORTCULLIS_KEY_ENCRYPTION_KEY (`openssl rand -base64 32`) first\n',
    )
    const sealed = { ...env, PORTCULLIS_KEY_ENCRYPTION_KEY: KEY }
    const listRefused = await runCli(['keys', 'list'], sealed)
    assert.equal(listRefused.code, 1)
    assert.match(listRefused.stderr, /stored unencrypted .*run `portcullis keys seal`/)

    const first = await runCli(['keys', 'seal'], sealed)
    assert.equal(first.code, 0, first.out)
    assert.equal(
      first.stdout,
      'sealed 1 signing keys, 3 server secrets and 1 TOTP secrets; 0 already sealed\n',
    )
    const { keys, secrets, factors } = await stored(dir)
    const values = [...keys.map((k) => k.privateJwk), ...secrets.map((s) => s.value)]
    for (const value of [...values, ...factors.map((f) => f.secret)]) {
      assert.match(value ?? '', /^enc:v2:/)
    }
    const again = await runCli(['keys', 'seal'], sealed)
    assert.equal(
      again.stdout,
      'sealed 0 signing keys, 0 server secrets and 0 TOTP secrets; 5 already sealed\n',
    )
    assert.equal((await runCli(['keys', 'list'], sealed)).code, 0)
  })

  it('seals nothing and creates nothing in an empty database', async (t) => {
    const dir = dataDir(t)
    const env = { PORTCULLIS_DATA_DIR: dir, PORTCULLIS_KEY_ENCRYPTION_KEY: KEY }
    const result = await runCli(['keys', 'seal'], env)
    assert.equal(
      result.stdout,
      'sealed 0 signing keys, 0 server secrets and 0 TOTP secrets; 0 already sealed\n',
    )
    assert.equal((await runCli(['keys', 'revoke', 'A'.repeat(43)], env)).code, 1)
    const { keys, secrets } = await stored(dir)
    assert.deepEqual([keys.length, secrets.length], [0, 0])
  })

  it('revokes the active key: a successor signs, the private half is gone, an audit record is written', async (t) => {
    const dir = dataDir(t)
    const env = { PORTCULLIS_DATA_DIR: dir }
    // Starting the services (as the server or `users create` does) makes the first key.
    assert.equal((await runCli(['users', 'create', '--username', 'alice'], env, PASSWORD)).code, 0)
    const listed = await runCli(['keys', 'list'], env)
    const kid = listed.stdout.split(' ')[0] ?? ''
    const result = await runCli(['keys', 'revoke', kid], env)
    assert.equal(result.code, 0, result.out)
    const [revokedLine, successorLine] = result.stdout.trim().split('\n')
    assert.equal(revokedLine, `revoked ${kid}`)
    const successor = /^signing now with ([\w-]{43})$/.exec(successorLine ?? '')?.[1]
    assert.ok(successor, result.stdout)
    assert.match(
      result.stderr,
      /every instance refuses its tokens within PORTCULLIS_KEY_RELOAD_SECONDS \(30 s\)/,
    )
    const after = await runCli(['keys', 'list'], env)
    assert.match(after.stdout, new RegExp(`^${successor} {2}ES256 {2}active`))
    assert.doesNotMatch(after.stdout, new RegExp(kid))
    const { keys, audit } = await stored(dir)
    assert.equal(keys.find((k) => k.kid === kid)?.privateJwk, null)
    assert.equal(audit.length, 1)
    assert.equal(audit[0]?.actorId, 'cli')
    assert.deepEqual(JSON.parse(audit[0]?.detail ?? '{}'), { kid, successor })

    const again = await runCli(['keys', 'revoke', kid], env)
    assert.equal(again.code, 1)
    assert.equal(
      again.stderr,
      'portcullis keys revoke: no unrevoked signing key has that id (see portcullis keys list)\n',
    )
    assert.equal((await runCli(['keys', 'revoke'], env)).code, 2)
  })
})
