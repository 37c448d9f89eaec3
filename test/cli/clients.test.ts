import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { hashSecret } from '../../src/auth/clients.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { runCli } from '../support/cli.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-clients-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const clients = (dir: string, args: string[]) =>
  runCli(['clients', ...args], { PORTCULLIS_DATA_DIR: dir })

describe('portcullis clients', () => {
  it('creates a confidential client, printing its secret once, and rotates it', async (t) => {
    const dir = tempDir(t)
    const created = await clients(dir, [
      'create',
      '--name',
      'Billing service',
      '--id',
      'billing',
      '--grant-types',
      'client_credentials',
      '--scopes',
      'profile',
      '--introspect',
    ])
    assert.equal(created.code, 0, created.out)
    const secret = /^client_secret: ([A-Za-z0-9_-]{43})$/m.exec(created.stdout)?.[1] ?? ''
    assert.match(created.stdout, /^client_id: billing\nclient_secret: /)
    assert.match(created.stderr, /cannot be shown again/)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    t.after(() => store.close())
    const record = await store.clients.findById('billing')
    assert.equal(record?.secretHash, hashSecret(secret))
    assert.equal(record?.introspect, true)

    const listed = await clients(dir, ['list'])
    assert.equal(listed.code, 0)
    assert.match(
      listed.stdout,
      /^billing +Billing service +confidential +client_credentials +profile +yes /m,
    )
    assert.doesNotMatch(listed.out, new RegExp(secret), 'list never shows a secret')

    const rotated = await clients(dir, ['rotate-secret', 'billing'])
    assert.equal(rotated.code, 0, rotated.out)
    const next = /^client_secret: (\S+)$/m.exec(rotated.stdout)?.[1] ?? ''
    assert.notEqual(next, secret)
    assert.equal((await store.clients.findById('billing'))?.secretHash, hashSecret(next))
  })

  it('creates a public client with a generated id, and deletes it', async (t) => {
    const dir = tempDir(t)
    const created = await clients(dir, [
      'create',
      '--name',
      'SPA',
      '--public',
      '--grant-types',
      'password refresh_token',
    ])
    assert.equal(created.code, 0, created.out)
    assert.doesNotMatch(created.out, /client_secret/)
    const id = /^client_id: (\S+)$/m.exec(created.stdout)?.[1] ?? ''
    assert.match(id, /^client_/)
    const noSecret = await clients(dir, ['rotate-secret', id])
    assert.equal(
      noSecret.stderr,
      'portcullis clients rotate-secret: a public client has no secret\n',
    )
    assert.equal((await clients(dir, ['delete', id])).stdout, `deleted client ${id}\n`)
    const again = await clients(dir, ['delete', id])
    assert.equal(again.code, 1)
    assert.equal(again.stderr, `portcullis clients delete: no client ${id}\n`)
    assert.equal((await clients(dir, ['list'])).stderr, 'no clients registered\n')
  })

  it('refuses a bad grant type or scope, and a missing id, in one line', async (t) => {
    const dir = tempDir(t)
    const grant = await clients(dir, ['create', '--name', 'x', '--grant-types', 'implicit'])
    assert.equal(grant.code, 1)
    assert.equal(
      grant.stderr,
      'portcullis clients create: grant_types must be some of: authorization_code, password, refresh_token, client_credentials\n',
    )
    const scope = await clients(dir, [
      'create',
      '--name',
      'x',
      '--grant-types',
      'password',
      '--scopes',
      'root',
    ])
    assert.equal(scope.stderr, 'portcullis clients create: unknown scopes: root\n')
    const publicCc = await clients(dir, [
      'create',
      '--name',
      'x',
      '--public',
      '--grant-types',
      'client_credentials',
    ])
    assert.equal(
      publicCc.stderr,
      'portcullis clients create: client_credentials needs a confidential client\n',
    )
    const noId = await clients(dir, ['delete'])
    assert.equal(noId.code, 2)
    assert.match(
      noId.stderr,
      /^portcullis clients delete: expects CLIENT_ID \(usage: portcullis clients delete CLIENT_ID\)\n$/,
    )
  })
})
