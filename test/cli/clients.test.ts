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

const API = 'https://api.example/'
const clients = (dir: string, args: string[]) =>
  runCli(['clients', ...args], { PORTCULLIS_DATA_DIR: dir, PORTCULLIS_RESOURCES: API })

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

  it('creates a code-flow client with repeated redirect URIs, first-party and resource; lists and shows it', async (t) => {
    const dir = tempDir(t)
    const created = await clients(dir, [
      'create',
      ...['--name', 'Web app', '--id', 'web', '--public'],
      ...['--grant-types', 'authorization_code,refresh_token', '--scopes', 'profile'],
      ...['--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'http://127.0.0.1:8080/cb'],
      ...['--post-logout-redirect-uri', 'https://app.example/'],
      ...['--first-party', '--resource', API],
    ])
    assert.equal(created.code, 0, created.out)
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    t.after(() => store.close())
    const record = await store.clients.findById('web')
    assert.deepEqual(record?.redirectUris, ['https://app.example/cb', 'http://127.0.0.1:8080/cb'])
    assert.deepEqual(record?.postLogoutRedirectUris, ['https://app.example/'])
    assert.equal(record?.firstParty, true)
    assert.equal(record?.resource, API)

    const listed = await clients(dir, ['list'])
    assert.equal(listed.code, 0, listed.out)
    assert.match(
      listed.stdout,
      /^web +Web app +public +authorization_code,refresh_token +profile +no +yes +\S+ +https:\/\/app\.example\/cb http:\/\/127\.0\.0\.1:8080\/cb$/m,
    )
    const shown = await clients(dir, ['show', 'web'])
    assert.equal(shown.code, 0, shown.out)
    assert.equal(
      shown.stdout,
      [
        'client_id: web',
        'name: Web app',
        'type: public',
        'grant_types: authorization_code refresh_token',
        'scopes: profile',
        'introspect: no',
        'first_party: yes',
        `resource: ${API}`,
        'redirect_uri: https://app.example/cb',
        'redirect_uri: http://127.0.0.1:8080/cb',
        'post_logout_redirect_uri: https://app.example/',
        `created: ${record?.createdAt}`,
        `updated: ${record?.updatedAt}`,
        '',
      ].join('\n'),
    )
    const missing = await clients(dir, ['show', 'nope'])
    assert.equal(missing.code, 1)
    assert.equal(missing.stderr, 'portcullis clients show: no client nope\n')
  })

  it('refuses a bad redirect URI, a code-flow client without one, and an unknown resource', async (t) => {
    const dir = tempDir(t)
    const base = ['create', '--name', 'x', '--grant-types', 'authorization_code']
    const fragment = await clients(dir, [...base, '--redirect-uri', 'https://a.example/#x'])
    assert.equal(fragment.code, 1)
    assert.equal(
      fragment.stderr,
      'portcullis clients create: each of redirect_uris must not have a fragment\n',
    )
    const none = await clients(dir, base)
    assert.equal(
      none.stderr,
      'portcullis clients create: authorization_code needs at least one redirect URI\n',
    )
    const resource = await clients(dir, [
      ...base,
      ...['--redirect-uri', 'https://a.example/cb', '--resource', 'https://other.example/'],
    ])
    assert.equal(resource.code, 1)
    assert.match(resource.stderr, /resource must be one of the configured resources/)
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
