import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import pg from 'pg'
import { PASSWORD } from './helpers.js'
import { runCli } from './support/cli.js'
import { freshDatabaseUrl } from './support/engines.js'
import { type RunningServer, startServer } from './support/server-process.js'

/**
 * Two server processes on one PostgreSQL schema, with a status cache far longer than any test
 * (a minute): whatever the other instance refuses at once, it learned by LISTEN/NOTIFY, not
 * by the cache expiring. `editor` grants `sessions` (GET /users/me/sessions), `user` does not.
 */
async function twoInstances(t: TestContext) {
  const url = await freshDatabaseUrl(t, 'postgres')
  const env = {
    PORTCULLIS_ARGON2_MEMORY_KIB: '256',
    PORTCULLIS_ARGON2_ITERATIONS: '1',
    PORTCULLIS_ISSUER: 'http://portcullis.test',
    PORTCULLIS_DATABASE_URL: url,
    PORTCULLIS_STATUS_CACHE_MS: '60000',
    PORTCULLIS_ROLES: 'user=profile;editor=profile sessions',
  }
  const [a, b] = await Promise.all([startServer(env), startServer(env)])
  t.after(() => Promise.all([a.stop(), b.stop()]))
  // Caching starts once the listener's LISTEN is acknowledged: before that, nothing to test.
  await Promise.all([a, b].map((s) => untilLive(s, 1)))
  return { url, a, b }
}

const liveLine = 'status change listener live'
const timesLive = (s: RunningServer) => s.output().split(liveLine).length - 1

/** Waits (bounded) until the server has logged that it listens for the `times`-th time. */
async function untilLive(s: RunningServer, times: number) {
  const deadline = Date.now() + 15_000
  while (timesLive(s) < times) {
    if (Date.now() > deadline) throw new Error(`the listener never came back:\n${s.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Runs SQL on the instances' schema, as an operator (or the CLI) would. */
async function sql(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(text, values)
  } finally {
    await client.end()
  }
}

async function register(url: string, username: string) {
  const res = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  assert.equal(res.status, 201, await res.clone().text())
  return ((await res.json()) as { id: string }).id
}

async function token(url: string, username: string, scope?: string) {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    body: new URLSearchParams({ username, password: PASSWORD, ...(scope ? { scope } : {}) }),
  })
  assert.equal(res.status, 200, await res.clone().text())
  return ((await res.json()) as { access_token: string }).access_token
}

async function get(url: string, path: string, accessToken: string) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })
  const body = (await res.json()) as { error?: string }
  return { status: res.status, error: body.error }
}

async function post(url: string, path: string, accessToken: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'POST' : 'PUT',
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  assert.ok(res.status < 300, `${path}: ${res.status} ${await res.text()}`)
}

/** An admin (registered, then given the role by the CLI) and its token from instance A. */
async function admin(url: string, a: RunningServer) {
  await register(a.url, 'root')
  const roles = await runCli(
    ['users', 'set-roles', '--username', 'root', '--roles', 'user,admin'],
    {
      PORTCULLIS_DATABASE_URL: url,
    },
  )
  assert.equal(roles.code, 0, roles.out)
  return token(a.url, 'root', 'admin')
}

/** Terminates every listening connection from the database side, waiting until each is gone. */
async function cutListeners(url: string) {
  const { rows } = await sql(
    url,
    `SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity
     WHERE application_name = 'portcullis-listener'`,
  )
  assert.ok(rows.length >= 2 && rows.every((r) => r.done === true), 'both listeners were cut')
}

describe('status changes between instances on PostgreSQL (LISTEN/NOTIFY)', () => {
  it('a logout, a disable and a role change on A are refused by B on its very next request', async (t) => {
    const { url, a, b } = await twoInstances(t)
    const rootToken = await admin(url, a)
    // Logout: B has the session cached, A ends it.
    await register(a.url, 'alice')
    const alice = await token(b.url, 'alice')
    assert.equal((await get(b.url, '/users/me', alice)).status, 200)
    await post(a.url, '/logout', alice)
    assert.deepEqual(await get(b.url, '/users/me', alice), {
      status: 401,
      error: 'invalid_token',
    })
    // Disable: B has the user cached, A disables it.
    const bobId = await register(a.url, 'bob')
    const bob = await token(b.url, 'bob')
    assert.equal((await get(b.url, '/users/me', bob)).status, 200)
    await post(a.url, `/admin/users/${bobId}/disable`, rootToken)
    assert.deepEqual(await get(b.url, '/users/me', bob), { status: 401, error: 'invalid_token' })
    // Role change: B has carol cached as an editor, A takes the role away (her session stays).
    const carolId = await register(a.url, 'carol')
    await post(a.url, `/admin/users/${carolId}/roles`, rootToken, { roles: ['user', 'editor'] })
    const carol = await token(b.url, 'carol')
    assert.equal((await get(b.url, '/users/me/sessions', carol)).status, 200)
    await post(a.url, `/admin/users/${carolId}/roles`, rootToken, { roles: ['user'] })
    assert.deepEqual(await get(b.url, '/users/me/sessions', carol), {
      status: 403,
      error: 'insufficient_scope',
    })
    assert.equal((await get(b.url, '/users/me', carol)).status, 200, 'only the scope went')
  })

  it('a change made in SQL, as the CLI makes it, is refused by both at once', async (t) => {
    const { url, a, b } = await twoInstances(t)
    await register(a.url, 'dora')
    const dora = await token(a.url, 'dora')
    for (const s of [a, b]) assert.equal((await get(s.url, '/users/me', dora)).status, 200)
    await sql(url, "UPDATE users SET disabled = true WHERE username = 'dora'")
    for (const s of [a, b]) assert.equal((await get(s.url, '/users/me', dora)).status, 401)
  })

  it('after the listening connections are cut, B serves nothing stale, cut or reconnected', async (t) => {
    const { url, a, b } = await twoInstances(t)
    const rootToken = await admin(url, a)
    const ids = new Map<string, string>()
    const tokens = new Map<string, string>()
    for (const name of ['erin', 'finn', 'gail', 'hugo']) {
      ids.set(name, await register(a.url, name))
      tokens.set(name, await token(b.url, name))
      assert.equal((await get(b.url, '/users/me', tokens.get(name) ?? '')).status, 200)
    }
    const me = (name: string) => get(b.url, '/users/me', tokens.get(name) ?? '')
    // Cut: whatever changes now, B may have missed its notification.
    await cutListeners(url)
    await post(a.url, '/logout', tokens.get('erin') ?? '')
    await sql(url, "UPDATE users SET disabled = true WHERE username = 'finn'")
    assert.equal((await me('erin')).status, 401, 'a logout while B is cut off')
    assert.equal((await me('finn')).status, 401, 'a disable in SQL while B is cut off')
    // Reconnected: the cache starts again empty, and follows changes again.
    await Promise.all([a, b].map((s) => untilLive(s, 2)))
    assert.equal((await me('gail')).status, 200)
    assert.equal((await me('hugo')).status, 200)
    await post(a.url, `/admin/users/${ids.get('gail')}/disable`, rootToken)
    await sql(url, 'UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [ids.get('hugo')])
    assert.equal((await me('gail')).status, 401, 'a disable on A after reconnecting')
    assert.equal((await me('hugo')).status, 401, 'a revocation in SQL after reconnecting')
    assert.match(b.output(), /status change listener down/)
  })
})
