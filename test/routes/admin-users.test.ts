import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  adminLogin,
  buildTestApp,
  getMe,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import {
  type AdminUser,
  assertClientError,
  assertError,
  assertInvalidToken,
  assertNoContent,
  call,
  loginPair,
  type Method,
  refresh,
  sidOf,
} from './admin-support.js'

interface UserPage {
  users: AdminUser[]
  next_cursor: string | null
}

interface AdminSession {
  id: string
  client_id: string
  scope: string
  ip: string | null
  user_agent: string | null
  created_at: string
  last_used_at: string
  expires_at: string
  revoked_at: string | null
}

/** Every /admin route, aimed at `userId` (and a client that may or may not exist). */
function adminRoutes(userId: string, sessionId: string): Array<[Method, string, unknown?]> {
  return [
    ['GET', '/admin/users'],
    ['GET', `/admin/users/${userId}`],
    ['POST', `/admin/users/${userId}/disable`],
    ['POST', `/admin/users/${userId}/enable`],
    ['PUT', `/admin/users/${userId}/roles`, { roles: ['user', 'admin'] }],
    ['DELETE', `/admin/users/${userId}`],
    ['GET', `/admin/users/${userId}/sessions`],
    ['DELETE', `/admin/users/${userId}/sessions`],
    ['DELETE', `/admin/users/${userId}/sessions/${sessionId}`],
    [
      'POST',
      '/admin/clients',
      {
        client_id: 'sneaky',
        name: 'Sneaky',
        confidential: true,
        grant_types: ['client_credentials'],
        scopes: ['admin'],
      },
    ],
    ['GET', '/admin/clients'],
    ['GET', '/admin/clients/sneaky'],
    ['POST', '/admin/clients/sneaky/secret'],
    ['DELETE', '/admin/clients/sneaky'],
    ['GET', '/admin/audit'],
  ]
}

/** The user as the admin API shows it; asserts a 200. */
async function readUser(app: FastifyInstance, token: string, id: string): Promise<AdminUser> {
  const res = await call(app, 'GET', `/admin/users/${id}`, { token })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as AdminUser
}

async function listUsers(app: FastifyInstance, token: string, query: string): Promise<UserPage> {
  const res = await call(app, 'GET', `/admin/users${query}`, { token })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as UserPage
}

/** Follows `next_cursor` from the first page to the last; returns every page. */
async function allPages(app: FastifyInstance, token: string, query: string): Promise<UserPage[]> {
  const pages: UserPage[] = []
  let cursor: string | null = null
  do {
    const sep = query === '' ? '?' : '&'
    const page = await listUsers(
      app,
      token,
      cursor === null ? query : `${query}${sep}cursor=${encodeURIComponent(cursor)}`,
    )
    pages.push(page)
    cursor = page.next_cursor
    assert.ok(pages.length <= 100, 'pagination must end')
  } while (cursor !== null)
  return pages
}

function setRoles(app: FastifyInstance, token: string, id: string, roles: unknown) {
  return call(app, 'PUT', `/admin/users/${id}/roles`, { token, body: { roles } })
}

async function adminSessions(
  app: FastifyInstance,
  token: string,
  id: string,
): Promise<AdminSession[]> {
  const res = await call(app, 'GET', `/admin/users/${id}/sessions`, { token })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as AdminSession[]
}

/** The session's access token is refused and its refresh token is invalid_grant. */
async function assertEnded(
  app: FastifyInstance,
  pair: { access_token: string; refresh_token: string },
) {
  assertInvalidToken(await getMe(app, `Bearer ${pair.access_token}`))
  assertError(await refresh(app, pair.refresh_token), 400, 'invalid_grant')
}

/** An app with an admin (`root`) and a plain user (`alice`). */
async function withAdmin(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const testApp: TestApp = await buildTestApp(t, { env })
  const admin = await adminLogin(testApp)
  const alice = await registerUser(testApp.app, 'alice')
  return { ...testApp, admin, alice }
}

describe('the admin API refuses everyone but admins', () => {
  it('refuses a user token with every scope a user can get: 403 insufficient_scope naming admin, and changes nothing', async (t) => {
    const { app, services } = await buildTestApp(t)
    const alice = await registerUser(app, 'alice')
    const everyUserScope = (services.config.roles.user ?? []).join(' ')
    assert.ok(everyUserScope.includes('profile') && !everyUserScope.includes('admin'))
    const pair = await loginPair(app, 'alice', { scope: everyUserScope })
    assert.equal(pair.scope, everyUserScope)
    for (const [method, url, body] of adminRoutes(alice.id, sidOf(pair.access_token))) {
      const res = await call(app, method, url, { token: pair.access_token, body })
      assertError(res, 403, 'insufficient_scope')
      const challenge = String(res.headers['www-authenticate'])
      assert.match(challenge, /^Bearer realm="portcullis"/, `${method} ${url}`)
      assert.ok(challenge.includes('error="insufficient_scope"'), `${method} ${url}: ${challenge}`)
      assert.ok(challenge.includes('scope="admin"'), `${method} ${url}: ${challenge}`)
    }
    // Nothing happened: alice is still a plain, enabled user whose session works; no client.
    const stored = await services.store.users.findById(alice.id)
    assert.deepEqual(stored?.roles, ['user'])
    assert.equal(stored?.disabled, false)
    assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)
    assert.equal(await services.store.clients.findById('sneaky'), null)
  })

  it('does not let a user obtain the admin scope: 400 invalid_scope', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    for (const scope of ['admin', 'profile admin']) {
      const res = await postToken(app, { username: 'alice', password: PASSWORD, scope })
      assertError(res, 400, 'invalid_scope')
      assert.equal(res.json().access_token, undefined)
    }
  })

  it('answers a request without a token with 401 and a Bearer challenge', async (t) => {
    const { app } = await buildTestApp(t)
    const alice = await registerUser(app, 'alice')
    for (const [method, url, body] of adminRoutes(alice.id, 'some-session')) {
      const res = await call(app, method, url, { body })
      assert.equal(res.statusCode, 401, `${method} ${url}: ${res.body}`)
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="portcullis"', `${method} ${url}`)
      assert.deepEqual(Object.keys(res.json()).sort(), ['error', 'error_description'])
    }
  })

  it('gives an admin who does not ask for admin a token without it (least privilege): 403', async (t) => {
    const { app, services } = await buildTestApp(t)
    const root = await registerUser(app, 'root')
    await services.store.users.setRoles(root.id, ['user', 'admin'], new Date().toISOString())
    const pair = await loginPair(app, 'root')
    assert.ok(!pair.scope.split(' ').includes('admin'), pair.scope)
    assert.ok(pair.scope.split(' ').includes('profile'), pair.scope)
    const res = await call(app, 'GET', '/admin/users', { token: pair.access_token })
    assertError(res, 403, 'insufficient_scope')
    assert.ok(String(res.headers['www-authenticate']).includes('scope="admin"'))
    // Asking for it works.
    const asked = await loginPair(app, 'root', { scope: 'admin' })
    assert.equal(asked.scope, 'admin')
    assert.equal(
      (await call(app, 'GET', '/admin/users', { token: asked.access_token })).statusCode,
      200,
    )
  })
})

describe('GET /admin/users', () => {
  it('lists users in username order with roles and status, never a password hash', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const page = await listUsers(app, admin.token, '')
    assert.deepEqual(
      page.users.map((u) => u.username),
      ['alice', 'root'],
    )
    assert.equal(page.next_cursor, null)
    const [first] = page.users
    assert.deepEqual(Object.keys(first ?? {}).sort(), [
      'created_at',
      'disabled',
      'email',
      'email_verified',
      'full_name',
      'id',
      'roles',
      'updated_at',
      'username',
    ])
    assert.equal(first?.id, alice.id)
    assert.deepEqual(first?.roles, ['user'])
    assert.equal(first?.disabled, false)
    assert.deepEqual(page.users[1]?.roles, ['user', 'admin'])
    assert.doesNotMatch(JSON.stringify(page), /argon2|hash/i)
  })

  it('searches with q: a substring of the username or email, ignoring case; % and _ are literal', async (t) => {
    const { app, admin } = await withAdmin(t)
    await registerUser(app, 'alicia', PASSWORD, { email: 'Alicia@Example.org' })
    await registerUser(app, 'bob', PASSWORD, { email: 'bob@example.com' })
    await registerUser(app, 'carol_x', PASSWORD, { email: 'carol@EXAMPLE.org' })
    const search = async (q: string) =>
      (await listUsers(app, admin.token, `?q=${encodeURIComponent(q)}`)).users.map(
        (u) => u.username,
      )
    assert.deepEqual(await search('ali'), ['alice', 'alicia'])
    assert.deepEqual(await search('ALI'), ['alice', 'alicia'])
    assert.deepEqual(await search('example.ORG'), ['alicia', 'carol_x'])
    assert.deepEqual(await search('bob@'), ['bob'])
    assert.deepEqual(await search('_'), ['carol_x'])
    assert.deepEqual(await search('%'), [])
    assert.deepEqual(await search('nobody'), [])
  })

  it('pages with limit and cursor: every user exactly once, in username order, null cursor at the end', async (t) => {
    const { app, admin } = await withAdmin(t)
    for (const name of ['member-c', 'member-a', 'member-e', 'member-b', 'member-d']) {
      await registerUser(app, name)
    }
    const pages = await allPages(app, admin.token, '?q=member-&limit=2')
    assert.deepEqual(
      pages.map((p) => p.users.map((u) => u.username)),
      [['member-a', 'member-b'], ['member-c', 'member-d'], ['member-e']],
    )
    assert.equal(pages.at(-1)?.next_cursor, null)
    for (const page of pages.slice(0, -1)) assert.equal(typeof page.next_cursor, 'string')
    // Without q: everyone, the admin and alice included, still once each and in order.
    const everyone = (await allPages(app, admin.token, '?limit=2')).flatMap((p) =>
      p.users.map((u) => u.username),
    )
    assert.deepEqual(everyone, [
      'alice',
      'member-a',
      'member-b',
      'member-c',
      'member-d',
      'member-e',
      'root',
    ])
    // A page size that divides the list exactly: the last full page has no next cursor, or
    // the page after it is empty with a null cursor.
    const exact = await allPages(app, admin.token, '?q=member-&limit=5')
    assert.deepEqual(exact.at(0)?.users.length, 5)
    assert.equal(exact.at(-1)?.next_cursor, null)
    assert.equal(exact.flatMap((p) => p.users).length, 5)
  })

  it('pages with the default page size of 50', async (t) => {
    const { app, admin } = await withAdmin(t)
    const names: string[] = []
    for (let i = 0; i < 52; i++) {
      const name = `bulk-${String(i).padStart(2, '0')}`
      names.push(name)
      await registerUser(app, name)
    }
    const pages = await allPages(app, admin.token, '?q=bulk-')
    assert.deepEqual(
      pages.map((p) => p.users.length),
      [50, 2],
    )
    assert.deepEqual(
      pages.flatMap((p) => p.users.map((u) => u.username)),
      names,
    )
    assert.equal(pages[1]?.next_cursor, null)
  })

  it('refuses a garbage cursor with 400 invalid_request, and bad limits with 400', async (t) => {
    const { app, admin } = await withAdmin(t)
    for (const cursor of ['not a cursor!', '!!', 'abc$', '..']) {
      const res = await call(app, 'GET', `/admin/users?cursor=${encodeURIComponent(cursor)}`, {
        token: admin.token,
      })
      assertError(res, 400, 'invalid_request')
    }
    for (const limit of ['0', '201', '-1', 'abc', '2.5']) {
      assertError(
        await call(app, 'GET', `/admin/users?limit=${limit}`, { token: admin.token }),
        400,
        'invalid_request',
      )
    }
    assertError(
      await call(app, 'GET', `/admin/users?q=${'x'.repeat(257)}`, { token: admin.token }),
      400,
      'invalid_request',
    )
  })
})

describe('GET /admin/users/:id', () => {
  it('reads one user; 404 not_found for an unknown id', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const user = await readUser(app, admin.token, alice.id)
    assert.equal(user.id, alice.id)
    assert.equal(user.username, 'alice')
    assert.deepEqual(user.roles, ['user'])
    assert.equal(user.disabled, false)
    assert.equal(user.email, null)
    assert.match(user.created_at, /^\d{4}-\d\d-\d\dT/)
    assertError(
      await call(app, 'GET', '/admin/users/00000000-0000-4000-8000-000000000000', {
        token: admin.token,
      }),
      404,
      'not_found',
    )
  })
})

describe('disabling and enabling a user', () => {
  it('disable ends the user’s sessions at once and refuses its logins; enable lets it log in again', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const pair = await loginPair(app, 'alice')
    // Seen once, so any cache of the token or its session is warm.
    assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)

    const res = await call(app, 'POST', `/admin/users/${alice.id}/disable`, { token: admin.token })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal((res.json() as AdminUser).disabled, true)
    assert.equal((res.json() as AdminUser).id, alice.id)

    await assertEnded(app, pair)
    assertError(
      await postToken(app, { username: 'alice', password: PASSWORD }),
      400,
      'invalid_grant',
    )
    assert.equal((await readUser(app, admin.token, alice.id)).disabled, true)

    const enabled = await call(app, 'POST', `/admin/users/${alice.id}/enable`, {
      token: admin.token,
    })
    assert.equal(enabled.statusCode, 200, enabled.body)
    assert.equal((enabled.json() as AdminUser).disabled, false)
    assert.equal((await readUser(app, admin.token, alice.id)).disabled, false)
    const again = await loginPair(app, 'alice')
    assert.equal((await getMe(app, `Bearer ${again.access_token}`)).statusCode, 200)
    // Ended sessions stay ended.
    await assertEnded(app, pair)
  })

  it('answers 404 for an unknown user', async (t) => {
    const { app, admin } = await withAdmin(t)
    for (const action of ['disable', 'enable']) {
      assertError(
        await call(app, 'POST', `/admin/users/no-such-user/${action}`, { token: admin.token }),
        404,
        'not_found',
      )
    }
  })
})

describe('PUT /admin/users/:id/roles', () => {
  it('refuses unknown roles, an empty list and malformed bodies with 400, changing nothing', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    for (const roles of [['wizard'], ['user', 'wizard'], []]) {
      const res = await setRoles(app, admin.token, alice.id, roles)
      assertError(res, 400, 'invalid_request')
    }
    for (const body of [{}, { roles: 'admin' }, { roles: ['user'], extra: true }, { roles: [1] }]) {
      assertError(
        await call(app, 'PUT', `/admin/users/${alice.id}/roles`, { token: admin.token, body }),
        400,
        'invalid_request',
      )
    }
    assertError(
      await setRoles(
        app,
        admin.token,
        alice.id,
        Array.from({ length: 33 }, () => 'user'),
      ),
      400,
      'invalid_request',
    )
    assert.deepEqual((await readUser(app, admin.token, alice.id)).roles, ['user'])
    assertError(await setRoles(app, admin.token, 'no-such-user', ['user']), 404, 'not_found')
  })

  it('making a user admin lets it obtain admin at its next login; its current session is unchanged', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const before = await loginPair(app, 'alice')
    const res = await setRoles(app, admin.token, alice.id, ['user', 'admin', 'admin'])
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual((res.json() as AdminUser).roles, ['user', 'admin'])
    assert.deepEqual((await readUser(app, admin.token, alice.id)).roles, ['user', 'admin'])
    // The existing token keeps working, without admin.
    assert.equal((await getMe(app, `Bearer ${before.access_token}`)).statusCode, 200)
    assertError(
      await call(app, 'GET', '/admin/users', { token: before.access_token }),
      403,
      'insufficient_scope',
    )
    // A refresh never widens the scope.
    const refreshed = await refresh(app, before.refresh_token, { scope: 'profile admin' })
    assertError(refreshed, 400, 'invalid_scope')
    const promoted = await loginPair(app, 'alice', { scope: 'profile admin' })
    assert.equal(promoted.scope, 'profile admin')
    assert.equal(
      (await call(app, 'GET', '/admin/users', { token: promoted.access_token })).statusCode,
      200,
    )
  })

  it('taking admin away ends every session of the user at once', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    assert.equal((await setRoles(app, admin.token, alice.id, ['user', 'admin'])).statusCode, 200)
    const adminPair = await loginPair(app, 'alice', { scope: 'profile admin' })
    const plainPair = await loginPair(app, 'alice')
    assert.equal(
      (await call(app, 'GET', '/admin/users', { token: adminPair.access_token })).statusCode,
      200,
    )
    const res = await setRoles(app, admin.token, alice.id, ['user'])
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual((res.json() as AdminUser).roles, ['user'])
    assertInvalidToken(await call(app, 'GET', '/admin/users', { token: adminPair.access_token }))
    await assertEnded(app, adminPair)
    await assertEnded(app, plainPair)
    assertError(
      await postToken(app, { username: 'alice', password: PASSWORD, scope: 'admin' }),
      400,
      'invalid_scope',
    )
    // A plain login still works.
    await loginPair(app, 'alice')
  })

  it('a refresh after a role change drops the scopes the roles no longer grant', async (t) => {
    const { app, admin, alice } = await withAdmin(t, { PORTCULLIS_ROLES: 'reader=profile' })
    const pair = await loginPair(app, 'alice', { scope: 'profile sessions' })
    assert.equal(pair.scope, 'profile sessions')
    const res = await setRoles(app, admin.token, alice.id, ['reader'])
    assert.equal(res.statusCode, 200, res.body)
    const refreshed = await refresh(app, pair.refresh_token)
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    assert.equal(refreshed.json().scope, 'profile')
    const token = refreshed.json().access_token as string
    assertError(await call(app, 'GET', '/users/me/sessions', { token }), 403, 'insufficient_scope')
    assert.equal((await getMe(app, `Bearer ${token}`)).statusCode, 200)
  })
})

describe('an admin cannot lock itself out', () => {
  it('refuses to disable, delete or demote itself with 400; its token keeps working', async (t) => {
    const { app, admin } = await withAdmin(t)
    const self = `/admin/users/${admin.id}`
    assertError(
      await call(app, 'POST', `${self}/disable`, { token: admin.token }),
      400,
      'invalid_request',
    )
    assertError(await call(app, 'DELETE', self, { token: admin.token }), 400, 'invalid_request')
    assertError(await setRoles(app, admin.token, admin.id, ['user']), 400, 'invalid_request')
    const me = await readUser(app, admin.token, admin.id)
    assert.equal(me.disabled, false)
    assert.deepEqual(me.roles, ['user', 'admin'])
    assert.equal((await call(app, 'GET', '/admin/users', { token: admin.token })).statusCode, 200)
  })
})

describe('the last admin cannot leave', () => {
  const deleteMe = (app: FastifyInstance, token: string) =>
    call(app, 'DELETE', '/users/me', { token, body: { password: PASSWORD } })

  it('refuses DELETE /users/me of the last enabled admin with 409 last_admin; after another admin exists it works', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const res = await deleteMe(app, admin.token)
    assertError(res, 409, 'last_admin')
    assert.match(res.json().error_description, /last admin/)
    assert.equal((await readUser(app, admin.token, admin.id)).disabled, false)
    // A disabled admin cannot administer anything: it does not count.
    const ok = (res: { statusCode: number; body: string }) =>
      assert.equal(res.statusCode, 200, res.body)
    ok(await setRoles(app, admin.token, alice.id, ['user', 'admin']))
    ok(await call(app, 'POST', `/admin/users/${alice.id}/disable`, { token: admin.token }))
    assertError(await deleteMe(app, admin.token), 409, 'last_admin')
    ok(await call(app, 'POST', `/admin/users/${alice.id}/enable`, { token: admin.token }))
    assertNoContent(await deleteMe(app, admin.token))
    assertInvalidToken(await getMe(app, `Bearer ${admin.token}`))
    // Now alice is the last one.
    const aliceAdmin = await postToken(app, {
      username: 'alice',
      password: PASSWORD,
      scope: 'profile',
    })
    assertError(await deleteMe(app, aliceAdmin.json().access_token), 409, 'last_admin')
  })

  it('counts a custom role that grants the admin scope as admin', async (t) => {
    const { app, admin, alice } = await withAdmin(t, { PORTCULLIS_ROLES: 'ops=admin profile' })
    assert.equal((await setRoles(app, admin.token, alice.id, ['ops'])).statusCode, 200)
    assertNoContent(await deleteMe(app, admin.token))
  })

  it('lets a plain user delete itself', async (t) => {
    const { app } = await withAdmin(t)
    const pair = await loginPair(app, 'alice')
    assertNoContent(await deleteMe(app, pair.access_token))
  })
})

describe('DELETE /admin/users/:id', () => {
  it('deletes the user: 404 after, its token 401, its login refused', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const pair = await loginPair(app, 'alice')
    assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)
    assertNoContent(await call(app, 'DELETE', `/admin/users/${alice.id}`, { token: admin.token }))
    assertError(
      await call(app, 'GET', `/admin/users/${alice.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    await assertEnded(app, pair)
    assertError(
      await postToken(app, { username: 'alice', password: PASSWORD }),
      400,
      'invalid_grant',
    )
    assert.deepEqual(
      (await listUsers(app, admin.token, '')).users.map((u) => u.username),
      ['root'],
    )
    assertError(
      await call(app, 'GET', `/admin/users/${alice.id}/sessions`, { token: admin.token }),
      404,
      'not_found',
    )
    assertError(
      await call(app, 'DELETE', `/admin/users/${alice.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    // The name is free again.
    await registerUser(app, 'alice')
  })
})

describe("a user's sessions", () => {
  it('lists them newest first, ends one (only that token stops), then all', async (t) => {
    const { app, admin, alice, clock } = await withAdmin(t)
    const older = await loginPair(app, 'alice', {}, { 'user-agent': 'laptop/1.0' })
    clock.advance(60_000)
    const newer = await loginPair(app, 'alice', {}, { 'user-agent': 'phone/2.0' })
    const bob = await registerUser(app, 'bob')
    const bobPair = await loginPair(app, 'bob')

    const sessions = await adminSessions(app, admin.token, alice.id)
    assert.deepEqual(
      sessions.map((s) => s.id),
      [sidOf(newer.access_token), sidOf(older.access_token)],
    )
    const [newest, oldest] = sessions
    assert.equal(newest?.user_agent, 'phone/2.0')
    assert.equal(oldest?.user_agent, 'laptop/1.0')
    assert.equal(newest?.client_id, 'portcullis')
    assert.equal(newest?.scope, newer.scope)
    assert.equal(newest?.ip, '127.0.0.1')
    assert.equal(newest?.revoked_at, null)
    assert.ok(Date.parse(newest?.expires_at ?? '') > Date.parse(newest?.created_at ?? ''))
    assert.ok(Date.parse(newest?.created_at ?? '') > Date.parse(oldest?.created_at ?? ''))

    assertNoContent(
      await call(app, 'DELETE', `/admin/users/${alice.id}/sessions/${sidOf(older.access_token)}`, {
        token: admin.token,
      }),
    )
    await assertEnded(app, older)
    assert.equal((await getMe(app, `Bearer ${newer.access_token}`)).statusCode, 200)
    const afterOne = await adminSessions(app, admin.token, alice.id)
    const ended = afterOne.find((s) => s.id === sidOf(older.access_token))
    assert.equal(typeof ended?.revoked_at, 'string')
    assert.equal(afterOne.find((s) => s.id === sidOf(newer.access_token))?.revoked_at, null)

    // Bob's session under alice's id, and an unknown session: 404, and bob is untouched.
    assertError(
      await call(
        app,
        'DELETE',
        `/admin/users/${alice.id}/sessions/${sidOf(bobPair.access_token)}`,
        {
          token: admin.token,
        },
      ),
      404,
      'not_found',
    )
    assertError(
      await call(app, 'DELETE', `/admin/users/${alice.id}/sessions/no-such-session`, {
        token: admin.token,
      }),
      404,
      'not_found',
    )
    assert.equal((await getMe(app, `Bearer ${bobPair.access_token}`)).statusCode, 200)

    const another = await loginPair(app, 'alice')
    assertNoContent(
      await call(app, 'DELETE', `/admin/users/${alice.id}/sessions`, { token: admin.token }),
    )
    await assertEnded(app, newer)
    await assertEnded(app, another)
    assert.ok((await adminSessions(app, admin.token, alice.id)).every((s) => s.revoked_at !== null))
    assert.equal((await getMe(app, `Bearer ${bobPair.access_token}`)).statusCode, 200)
    assert.equal((await adminSessions(app, admin.token, bob.id)).length, 1)
    // The admin's own session is not affected either.
    assert.equal((await call(app, 'GET', '/admin/users', { token: admin.token })).statusCode, 200)
  })

  it('answers 404 for an unknown user', async (t) => {
    const { app, admin } = await withAdmin(t)
    for (const method of ['GET', 'DELETE'] as const) {
      assertError(
        await call(app, method, '/admin/users/no-such-user/sessions', { token: admin.token }),
        404,
        'not_found',
      )
    }
  })
})

describe('bad ids and parameters', () => {
  it('answer 4xx in the one error shape, never 5xx', async (t) => {
    const { app, admin, alice } = await withAdmin(t)
    const long = 'x'.repeat(65)
    const requests: Array<[Method, string, unknown?]> = [
      ['GET', `/admin/users/${long}`],
      ['POST', `/admin/users/${long}/disable`],
      ['PUT', `/admin/users/${long}/roles`, { roles: ['user'] }],
      ['DELETE', `/admin/users/${long}`],
      ['GET', `/admin/users/${long}/sessions`],
      ['DELETE', `/admin/users/${alice.id}/sessions/${long}`],
      ['GET', '/admin/users/%C3%28'],
      ['GET', '/admin/users/%20'],
      ['GET', '/admin/users/..%2F..%2Fetc'],
      ['GET', "/admin/users/'%20OR%201=1--"],
      ['GET', '/admin/users/%00'],
      ['POST', '/admin/users/a%00b/disable'],
      ['DELETE', '/admin/users/a%00b'],
      ['GET', '/admin/users/a%00b/sessions'],
      ['DELETE', `/admin/users/${alice.id}/sessions/a%00b`],
      ['PUT', `/admin/users/${alice.id}/roles`, { roles: ['us\u0000er'] }],
      ['PUT', `/admin/users/${alice.id}/roles`, [{ roles: ['user'] }]],
      ['PUT', `/admin/users/${alice.id}/roles`, { roles: [`${'r'.repeat(65)}`] }],
      ['GET', '/admin/users?limit=1e3'],
      ['GET', '/admin/users?cursor=%00'],
      ['GET', `/admin/users?cursor=${'A'.repeat(257)}`],
    ]
    for (const [method, url, body] of requests) {
      assertClientError(
        await call(app, method, url, { token: admin.token, body }),
        `${method} ${url}`,
      )
    }
    const text = await app.inject({
      method: 'PUT',
      url: `/admin/users/${alice.id}/roles`,
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      payload: '{"roles": [',
    })
    assertClientError(text, 'malformed JSON')
    const plain = await app.inject({
      method: 'PUT',
      url: `/admin/users/${alice.id}/roles`,
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/plain' },
      payload: 'admin',
    })
    assertClientError(plain, 'text/plain body')
    assert.deepEqual((await readUser(app, admin.token, alice.id)).roles, ['user'])
  })

  it('a query with odd text or a cursor that decodes to odd text is never 5xx', async (t) => {
    const { app, admin } = await withAdmin(t)
    // `AA` is well-formed base64url for a NUL byte: not a cursor this server ever issued.
    for (const query of ['?q=%00', '?q=%25%5F%5C', '?cursor=AA', `?cursor=${'_w'.repeat(10)}`]) {
      const res = await call(app, 'GET', `/admin/users${query}`, { token: admin.token })
      assert.ok(res.statusCode < 500, `${query}: ${res.statusCode} ${res.body}`)
    }
  })
})
