import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { runServerToExit, startServer } from '../support/server-process.js'

const strong = 'a long and unguessable bootstrap phrase'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bootstrap-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const bootstrapEnv = (dir: string, password: string, env: Record<string, string> = {}) => ({
  PORTCULLIS_DATA_DIR: dir,
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: 'Root',
  PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: password,
  ...env,
})

const production = {
  NODE_ENV: 'production',
  PORTCULLIS_ISSUER: 'https://auth.example.test',
  PORTCULLIS_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  PORTCULLIS_RATE_LIMITS: 'true',
  // No SMTP server here: production refuses the email flows without one.
  PORTCULLIS_EMAIL_FLOWS: 'false',
}

async function usersIn(dir: string) {
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  try {
    const users = await store.users.search({ limit: 10 })
    const audit = await store.audit.list({ type: 'admin.user.create', limit: 10 })
    return { users, audit }
  } finally {
    await store.close()
  }
}

describe('bootstrap admin', () => {
  it('is created once from the environment, in production with a strong password, and can log in', async (t) => {
    const dir = tempDir(t)
    const first = await startServer(bootstrapEnv(dir, strong, production))
    const login = await fetch(`${first.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'root', password: strong, scope: 'admin' }),
    })
    assert.equal(login.status, 200, await login.clone().text())
    assert.equal(await first.stop(), 0)
    assert.match(first.output(), /created bootstrap admin root/)

    const second = await startServer(bootstrapEnv(dir, strong, production))
    assert.equal(await second.stop(), 0)
    assert.match(second.output(), /bootstrap admin already made/)
    const { users, audit } = await usersIn(dir)
    assert.deepEqual(
      users.map((u) => [u.username, u.roles]),
      [['root', ['user', 'admin']]],
    )
    assert.equal(audit.length, 1)
    assert.deepEqual(JSON.parse(audit[0]?.detail ?? '{}'), { bootstrap: true })
    assert.doesNotMatch(first.output() + second.output(), new RegExp(strong))

    // Deleted later, the bootstrap admin does not come back at the next start.
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    await store.users.delete(users[0]?.id ?? '')
    await store.close()
    const third = await startServer(bootstrapEnv(dir, strong, production))
    assert.equal(await third.stop(), 0)
    assert.deepEqual((await usersIn(dir)).users, [])
  })

  for (const [mode, env] of [
    ['development', {}],
    ['test', { NODE_ENV: 'test' }],
    ['production', production],
  ] as const) {
    it(`refuses a weak password in ${mode}: exit 1, one line, no user, no password shown`, {
      timeout: 30_000,
    }, async (t) => {
      const dir = tempDir(t)
      const { code, stderr } = await runServerToExit({
        ...bootstrapEnv(dir, 'hunter2hunter2', env),
        PORTCULLIS_PORT: '0',
        PORTCULLIS_RATE_LIMITS: 'true',
      })
      assert.equal(code, 1)
      assert.equal(
        stderr,
        'portcullis: configuration error: PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: password must be at least 15 characters\n',
      )
      assert.equal((await usersIn(dir)).users.length, 0)
    })
  }
})
