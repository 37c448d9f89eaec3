import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, getMe, PASSWORD, postToken, registerUser } from '../helpers.js'

interface TokenResponse {
  access_token: string
  refresh_token: string
}

type Reply = Awaited<ReturnType<typeof postToken>>

async function loginPair(app: FastifyInstance, username = 'alice'): Promise<TokenResponse> {
  const res = await postToken(app, { username, password: PASSWORD })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenResponse
}

/** POST /revoke with a form body (or any body and content type). */
function revoke(
  app: FastifyInstance,
  form: Record<string, string> | string,
  contentType = 'application/x-www-form-urlencoded',
) {
  return app.inject({
    method: 'POST',
    url: '/revoke',
    headers: { 'content-type': contentType },
    payload: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  })
}

/**
 * RFC 7009 §2.2: 200. The empty body is asserted once, in its own test, so the session
 * behaviour of the other tests is checked independently of it.
 */
function assertRevoked(res: Reply) {
  assert.equal(res.statusCode, 200, res.body)
}

function refresh(app: FastifyInstance, refreshToken: string) {
  return postToken(app, { grant_type: 'refresh_token', refresh_token: refreshToken })
}

async function assertRefreshRefused(app: FastifyInstance, refreshToken: string) {
  const res = await refresh(app, refreshToken)
  assert.equal(res.statusCode, 400, res.body)
  assert.equal(res.json().error, 'invalid_grant')
}

async function assertRefreshWorks(app: FastifyInstance, refreshToken: string) {
  const res = await refresh(app, refreshToken)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenResponse
}

async function assertAccessRejected(app: FastifyInstance, accessToken: string) {
  const res = await getMe(app, `Bearer ${accessToken}`)
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().error, 'invalid_token')
  assert.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="portcullis", error="invalid_token"/,
  )
}

async function assertAccessAccepted(app: FastifyInstance, accessToken: string) {
  assert.equal((await getMe(app, `Bearer ${accessToken}`)).statusCode, 200)
}

describe('POST /revoke (RFC 7009)', () => {
  it('ends the session of a revoked refresh token: the refresh token and its access token fail', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    const other = await loginPair(app)
    assertRevoked(
      await revoke(app, { token: pair.refresh_token, token_type_hint: 'refresh_token' }),
    )
    await assertRefreshRefused(app, pair.refresh_token)
    await assertAccessRejected(app, pair.access_token)
    // The user's other session is untouched.
    await assertAccessAccepted(app, other.access_token)
    await assertRefreshWorks(app, other.refresh_token)
  })

  it('ends the session of a revoked access token: its refresh token then fails', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    const other = await loginPair(app)
    assertRevoked(await revoke(app, { token: pair.access_token, token_type_hint: 'access_token' }))
    await assertAccessRejected(app, pair.access_token)
    await assertRefreshRefused(app, pair.refresh_token)
    await assertAccessAccepted(app, other.access_token)
    await assertRefreshWorks(app, other.refresh_token)
  })

  it('ends the whole family when the revoked tokens came from a rotation', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const first = await loginPair(app)
    const second = await assertRefreshWorks(app, first.refresh_token)
    // Revoking the first (spent) generation's access token ends the session of the newest.
    assertRevoked(await revoke(app, { token: first.access_token }))
    await assertRefreshRefused(app, second.refresh_token)
    await assertAccessRejected(app, second.access_token)
  })

  for (const [kind, hint] of [
    ['refresh token', 'access_token'],
    ['access token', 'refresh_token'],
    ['refresh token', 'not_a_token_type'],
    ['access token', 'not_a_token_type'],
  ] as const) {
    it(`revokes a ${kind} sent with token_type_hint=${hint}: the hint is only a hint`, async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const pair = await loginPair(app)
      const token = kind === 'refresh token' ? pair.refresh_token : pair.access_token
      assertRevoked(await revoke(app, { token, token_type_hint: hint }))
      await assertRefreshRefused(app, pair.refresh_token)
      await assertAccessRejected(app, pair.access_token)
    })
  }

  it('answers with an empty body, for a live token and for an unknown one alike', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    for (const token of [pair.refresh_token, 'A'.repeat(43)]) {
      const res = await revoke(app, { token })
      assert.equal(res.statusCode, 200)
      assert.equal(res.body, '')
    }
  })

  it('answers unknown, malformed and already revoked tokens with 200, alike', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const live = await loginPair(app)
    const revoked = await loginPair(app)
    assertRevoked(await revoke(app, { token: revoked.refresh_token }))
    const [h, p] = live.access_token.split('.')
    const bodies = new Set<string>()
    for (const token of [
      'A'.repeat(43),
      'garbage',
      'a.b.c',
      `${h}.${p}.${'A'.repeat(86)}`,
      `${live.refresh_token}x`,
      revoked.refresh_token,
      revoked.access_token,
      '%%%',
    ]) {
      for (const hint of [undefined, 'refresh_token', 'access_token']) {
        const form: Record<string, string> = { token }
        if (hint) form.token_type_hint = hint
        const res = await revoke(app, form)
        assertRevoked(res)
        bodies.add(res.body)
      }
    }
    assert.equal(bodies.size, 1, 'the answer reveals nothing about the token')
    // None of those touched the live session (a forged signature on its access token included).
    await assertAccessAccepted(app, live.access_token)
    await assertRefreshWorks(app, live.refresh_token)
  })

  it('answers a missing or empty token with 400 invalid_request', async (t) => {
    const { app } = await buildTestApp(t)
    for (const form of ['', 'token=', 'token_type_hint=refresh_token']) {
      const res = await revoke(app, form)
      assert.equal(res.statusCode, 400, form)
      assert.equal(res.json().error, 'invalid_request', form)
    }
  })

  it('answers a body that is not form-encoded with 415, and revokes nothing', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    const res = await revoke(app, JSON.stringify({ token: pair.refresh_token }), 'application/json')
    assert.equal(res.statusCode, 415)
    assert.equal(res.json().error, 'unsupported_media_type')
    await assertRefreshWorks(app, pair.refresh_token)
  })

  it('refuses an unknown client_id with 401 invalid_client, and revokes nothing', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    const res = await revoke(app, { token: pair.refresh_token, client_id: 'someone-else' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error, 'invalid_client')
    await assertRefreshWorks(app, pair.refresh_token)
  })

  it('revokes an expired access token: its session ends', async (t) => {
    const { app, clock } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const pair = await loginPair(app)
    clock.advance(901_000) // past the 900 s access token lifetime
    const expired = await getMe(app, `Bearer ${pair.access_token}`)
    assert.equal(expired.statusCode, 401)
    assert.equal(expired.json().error, 'invalid_token')
    assertRevoked(await revoke(app, { token: pair.access_token, token_type_hint: 'access_token' }))
    await assertRefreshRefused(app, pair.refresh_token)
  })
})
