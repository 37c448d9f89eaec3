import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { buildTestApp, getMe, PASSWORD, postToken, registerUser } from '../helpers.js'

const NEW_PASSWORD = 'a brand new passphrase, never used before'

interface TokenResponse {
  access_token: string
  refresh_token: string
}

interface SessionView {
  id: string
  created_at: string
  last_used_at: string
  ip: string | null
  user_agent: string | null
  current: boolean
}

type Reply = Awaited<ReturnType<typeof getMe>>

async function loginPair(
  app: FastifyInstance,
  username = 'alice',
  password = PASSWORD,
  userAgent?: string,
): Promise<TokenResponse> {
  const res = await postToken(
    app,
    { username, password },
    userAgent === undefined ? {} : { 'user-agent': userAgent },
  )
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenResponse
}

const sidOf = (pair: TokenResponse) => String(decodeJwt(pair.access_token).sid)

/** An authenticated request with an optional JSON body. */
function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  accessToken: string,
  body?: object,
) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${accessToken}` },
    ...(body === undefined ? {} : { payload: body }),
  })
}

function refresh(app: FastifyInstance, refreshToken: string) {
  return postToken(app, { grant_type: 'refresh_token', refresh_token: refreshToken })
}

async function listSessions(app: FastifyInstance, accessToken: string): Promise<SessionView[]> {
  const res = await call(app, 'GET', '/users/me/sessions', accessToken)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as SessionView[]
}

function assertInvalidToken(res: Reply) {
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().error, 'invalid_token')
  assert.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="portcullis", error="invalid_token"/,
  )
}

function assertNoContent(res: Reply) {
  assert.equal(res.statusCode, 204, res.body)
  assert.equal(res.body, '')
}

/** The session's access token is refused and its refresh token is invalid_grant. */
async function assertEnded(app: FastifyInstance, pair: TokenResponse) {
  assertInvalidToken(await getMe(app, `Bearer ${pair.access_token}`))
  const res = await refresh(app, pair.refresh_token)
  assert.equal(res.statusCode, 400, res.body)
  assert.equal(res.json().error, 'invalid_grant')
}

/** Refreshes the session and asserts a 200; returns the new pair. */
async function refreshOk(app: FastifyInstance, pair: TokenResponse): Promise<TokenResponse> {
  const res = await refresh(app, pair.refresh_token)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenResponse
}

/** The session's access token works, and so does its refresh token (returns the new pair). */
async function assertLive(app: FastifyInstance, pair: TokenResponse): Promise<TokenResponse> {
  assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)
  return refreshOk(app, pair)
}

describe('POST /logout', () => {
  it('ends only the current session: another login’s tokens still work', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const current = await loginPair(app)
    const other = await loginPair(app)
    assertNoContent(await call(app, 'POST', '/logout', current.access_token))
    await assertEnded(app, current)
    await assertLive(app, other)
  })

  it('also ends the access tokens the session got from earlier refreshes', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const first = await loginPair(app)
    const second = await assertLive(app, first)
    assertNoContent(await call(app, 'POST', '/logout', second.access_token))
    assertInvalidToken(await getMe(app, `Bearer ${first.access_token}`))
    await assertEnded(app, second)
  })

  it('answers a second logout with the same token with 401 invalid_token', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    assertNoContent(await call(app, 'POST', '/logout', pair.access_token))
    assertInvalidToken(await call(app, 'POST', '/logout', pair.access_token))
  })

  it('requires a bearer token: 401 with a challenge', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/logout' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="portcullis"')
  })
})

describe('POST /logout/all', () => {
  it('ends every session of the user, the current one included, and no one else’s', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await registerUser(app, 'bob')
    const sessions = [await loginPair(app), await loginPair(app), await loginPair(app)]
    const bob = await loginPair(app, 'bob')
    const caller = sessions[1]
    assert.ok(caller)
    assertNoContent(await call(app, 'POST', '/logout/all', caller.access_token))
    for (const pair of sessions) await assertEnded(app, pair)
    await assertLive(app, bob)
    // A fresh login starts a new session as usual.
    await assertLive(app, await loginPair(app))
  })
})

describe('GET /users/me/sessions', () => {
  it('lists the live sessions newest first, with ip and user agent, and current only for the caller', async (t) => {
    const { app, clock } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await registerUser(app, 'bob')
    const loginAt = new Date(clock.now()).toISOString()
    const phone = await loginPair(app, 'alice', PASSWORD, 'PhoneApp/1.0')
    clock.advance(60_000)
    const laptopAt = new Date(clock.now()).toISOString()
    const laptop = await loginPair(app, 'alice', PASSWORD, 'Mozilla/5.0 (laptop)')
    await loginPair(app, 'bob', PASSWORD, 'BobAgent')

    const list = await listSessions(app, laptop.access_token)
    assert.deepEqual(list, [
      {
        id: sidOf(laptop),
        created_at: laptopAt,
        last_used_at: laptopAt,
        ip: '127.0.0.1',
        user_agent: 'Mozilla/5.0 (laptop)',
        current: true,
      },
      {
        id: sidOf(phone),
        created_at: loginAt,
        last_used_at: loginAt,
        ip: '127.0.0.1',
        user_agent: 'PhoneApp/1.0',
        current: false,
      },
    ])
    const fromPhone = await listSessions(app, phone.access_token)
    assert.deepEqual(
      fromPhone.map((s) => [s.id, s.current]),
      [
        [sidOf(laptop), false],
        [sidOf(phone), true],
      ],
    )
  })

  it('records a missing user agent as null and cuts a long one to 256 characters', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const form = new URLSearchParams({ username: 'alice', password: PASSWORD }).toString()
    const contentType = 'application/x-www-form-urlencoded'
    // light-my-request sends no user-agent header at all when it is set to undefined.
    const bare = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': contentType, 'user-agent': undefined },
      payload: form,
    })
    assert.equal(bare.statusCode, 200, bare.body)
    const long = await loginPair(app, 'alice', PASSWORD, 'x'.repeat(1000))
    const byId = new Map((await listSessions(app, long.access_token)).map((s) => [s.id, s]))
    assert.equal(byId.get(sidOf(bare.json() as TokenResponse))?.user_agent, null)
    assert.equal(byId.get(sidOf(long))?.user_agent, 'x'.repeat(256))
  })

  it('moves last_used_at on refresh and leaves created_at alone', async (t) => {
    const { app, clock } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const createdAt = new Date(clock.now()).toISOString()
    const pair = await loginPair(app)
    clock.advance(3_600_000)
    const next = await refreshOk(app, pair)
    const [session] = await listSessions(app, next.access_token)
    assert.equal(session?.created_at, createdAt)
    assert.equal(session?.last_used_at, new Date(clock.now()).toISOString())
  })

  it('leaves out ended and idle-expired sessions', async (t) => {
    const { app, clock } = await buildTestApp(t, { env: { PORTCULLIS_SESSION_IDLE_TTL: '3600' } })
    await registerUser(app, 'alice')
    const loggedOut = await loginPair(app)
    const idle = await loginPair(app)
    let kept = await loginPair(app)
    assertNoContent(await call(app, 'POST', '/logout', loggedOut.access_token))
    clock.advance(40 * 60_000)
    kept = await refreshOk(app, kept)
    clock.advance(40 * 60_000)
    kept = await refreshOk(app, kept)
    const list = await listSessions(app, kept.access_token)
    assert.deepEqual(
      list.map((s) => s.id),
      [sidOf(kept)],
    )
    assert.notEqual(sidOf(idle), sidOf(kept))
  })
})

describe('DELETE /users/me/sessions/:id', () => {
  it('ends that session only (204)', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const stolen = await loginPair(app)
    const mine = await loginPair(app)
    assertNoContent(
      await call(app, 'DELETE', `/users/me/sessions/${sidOf(stolen)}`, mine.access_token),
    )
    await assertEnded(app, stolen)
    const next = await assertLive(app, mine)
    assert.deepEqual(
      (await listSessions(app, next.access_token)).map((s) => s.id),
      [sidOf(mine)],
    )
  })

  it('can end the caller’s own session', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    assertNoContent(
      await call(app, 'DELETE', `/users/me/sessions/${sidOf(pair)}`, pair.access_token),
    )
    await assertEnded(app, pair)
  })

  it('answers another user’s session id with a 404 identical to an unknown id, and leaves it alive', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await registerUser(app, 'bob')
    const alice = await loginPair(app)
    const bob = await loginPair(app, 'bob')
    const foreign = await call(
      app,
      'DELETE',
      `/users/me/sessions/${sidOf(bob)}`,
      alice.access_token,
    )
    const unknown = await call(
      app,
      'DELETE',
      '/users/me/sessions/00000000-0000-4000-8000-000000000000',
      alice.access_token,
    )
    const garbage = await call(
      app,
      'DELETE',
      '/users/me/sessions/not-a-session',
      alice.access_token,
    )
    for (const res of [foreign, unknown, garbage]) {
      assert.equal(res.statusCode, 404, res.body)
      assert.equal(res.json().error, 'not_found')
    }
    assert.equal(foreign.body, unknown.body)
    assert.equal(foreign.body, garbage.body)
    assert.equal(foreign.headers['content-type'], unknown.headers['content-type'])
    await assertLive(app, bob)
    await assertLive(app, alice)
  })

  it('answers an ended session id with 404', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const loggedOut = await loginPair(app)
    const deleted = await loginPair(app)
    const mine = await loginPair(app)
    assertNoContent(await call(app, 'POST', '/logout', loggedOut.access_token))
    assertNoContent(
      await call(app, 'DELETE', `/users/me/sessions/${sidOf(deleted)}`, mine.access_token),
    )
    for (const pair of [loggedOut, deleted]) {
      const res = await call(app, 'DELETE', `/users/me/sessions/${sidOf(pair)}`, mine.access_token)
      assert.equal(res.statusCode, 404, res.body)
      assert.equal(res.json().error, 'not_found')
    }
  })
})

describe('PUT /users/me/password', () => {
  const change = (app: FastifyInstance, accessToken: string, current: string, next: string) =>
    call(app, 'PUT', '/users/me/password', accessToken, {
      current_password: current,
      new_password: next,
    })

  it('refuses a wrong current password with 400 invalid_grant and changes nothing', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const current = await loginPair(app)
    const other = await loginPair(app)
    const res = await change(app, current.access_token, 'not the current password', NEW_PASSWORD)
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().error, 'invalid_grant')
    await assertLive(app, other)
    await assertLive(app, current)
    await loginPair(app, 'alice', PASSWORD)
  })

  for (const [label, weak] of [
    ['too short', 'short pass'],
    ['containing the username', 'alice alice alice alice'],
  ] as const) {
    it(`refuses a new password ${label} with 400 invalid_request and changes nothing`, async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const current = await loginPair(app)
      const other = await loginPair(app)
      const res = await change(app, current.access_token, PASSWORD, weak)
      assert.equal(res.statusCode, 400, res.body)
      assert.equal(res.json().error, 'invalid_request')
      await assertLive(app, other)
      await loginPair(app, 'alice', PASSWORD)
    })
  }

  it('changes the password (204), ends the other sessions and keeps the current one', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await registerUser(app, 'bob')
    const otherA = await loginPair(app)
    const otherB = await loginPair(app)
    const current = await loginPair(app)
    const bob = await loginPair(app, 'bob')
    assertNoContent(await change(app, current.access_token, PASSWORD, NEW_PASSWORD))
    await assertEnded(app, otherA)
    await assertEnded(app, otherB)
    const next = await assertLive(app, current)
    await assertLive(app, next)
    await assertLive(app, bob)
    assert.deepEqual(
      (await listSessions(app, next.access_token)).map((s) => s.id),
      [sidOf(current)],
    )
  })

  it('lets only the new password log in afterwards', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const current = await loginPair(app)
    assertNoContent(await change(app, current.access_token, PASSWORD, NEW_PASSWORD))
    const old = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(old.statusCode, 400)
    assert.equal(old.json().error, 'invalid_grant')
    await assertLive(app, await loginPair(app, 'alice', NEW_PASSWORD))
    // The old password is no longer the current one either.
    const again = await change(app, current.access_token, PASSWORD, 'yet another passphrase here')
    assert.equal(again.statusCode, 400)
    assert.equal(again.json().error, 'invalid_grant')
  })
})

describe('DELETE /users/me', () => {
  const remove = (app: FastifyInstance, accessToken: string, password: string) =>
    call(app, 'DELETE', '/users/me', accessToken, { password })

  it('refuses a wrong password with 400 invalid_grant and deletes nothing', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    const res = await remove(app, pair.access_token, 'not the password at all')
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().error, 'invalid_grant')
    await assertLive(app, pair)
    await loginPair(app)
  })

  it('deletes the account (204): every token of the user fails at once', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await registerUser(app, 'bob')
    const first = await loginPair(app)
    const rotated = await assertLive(app, first)
    const other = await loginPair(app)
    const current = await loginPair(app)
    const bob = await loginPair(app, 'bob')
    // Warm every cache: each token has just been verified.
    for (const pair of [rotated, other, current]) {
      assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)
    }
    assertNoContent(await remove(app, current.access_token, PASSWORD))
    for (const pair of [rotated, other, current]) await assertEnded(app, pair)
    assertInvalidToken(await getMe(app, `Bearer ${first.access_token}`))
    const login = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(login.statusCode, 400)
    assert.equal(login.json().error, 'invalid_grant')
    await assertLive(app, bob)
  })

  it('frees the username: it can be registered again, and the old tokens stay dead', async (t) => {
    const { app } = await buildTestApp(t)
    const original = await registerUser(app, 'alice')
    const old = await loginPair(app)
    assertNoContent(await remove(app, old.access_token, PASSWORD))
    const again = await registerUser(app, 'alice', NEW_PASSWORD)
    assert.notEqual(again.id, original.id)
    await assertEnded(app, old)
    const fresh = await loginPair(app, 'alice', NEW_PASSWORD)
    const me = await getMe(app, `Bearer ${fresh.access_token}`)
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().id, again.id)
  })
})
