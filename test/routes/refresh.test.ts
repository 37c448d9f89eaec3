import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { Services } from '../../src/services.js'
import { buildTestApp, getMe, PASSWORD, postToken, registerUser } from '../helpers.js'

const SECOND = 1000
const DAY = 86_400 * SECOND

interface TokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
  scope: string
}

type Reply = Awaited<ReturnType<typeof postToken>>

/** Logs in over HTTP and returns the whole token response. */
async function loginPair(
  app: FastifyInstance,
  username = 'alice',
  form: Record<string, string> = {},
): Promise<TokenResponse> {
  const res = await postToken(app, { username, password: PASSWORD, ...form })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenResponse
}

/** POST /token with grant_type=refresh_token. */
function refresh(app: FastifyInstance, refreshToken: string, form: Record<string, string> = {}) {
  return postToken(app, { grant_type: 'refresh_token', refresh_token: refreshToken, ...form })
}

/** Refreshes and asserts a 200; returns the new token response. */
async function refreshOk(app: FastifyInstance, refreshToken: string, form = {}) {
  const res = await refresh(app, refreshToken, form)
  assert.equal(res.statusCode, 200, res.body)
  assertNoStore(res)
  return res.json() as TokenResponse
}

function assertNoStore(res: Reply) {
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.equal(res.headers.pragma, 'no-cache')
}

/** A /token error: status, `error` code and the no-store headers. */
function assertTokenError(res: Reply, code: string, status = 400) {
  assert.equal(res.statusCode, status, res.body)
  assert.equal(res.json().error, code)
  assert.equal(typeof res.json().error_description, 'string')
  assertNoStore(res)
}

/** GET /users/me answers 401 invalid_token with the RFC 6750 challenge. */
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
  const res = await getMe(app, `Bearer ${accessToken}`)
  assert.equal(res.statusCode, 200, res.body)
}

/**
 * Makes the next `n` refresh-token lookups wait for one another, so `n` concurrent refreshes
 * all read the token as unspent before any of them spends it: only the store's atomic spend
 * can then pick the winner. Counts the store's `rotate` calls to prove the race happened
 * (on SQLite, without this, the first request spends the token before the others read it).
 */
function forceOverlap(services: Services) {
  const sessions = services.store.sessions
  const find = sessions.findRefreshToken.bind(sessions)
  const rotate = sessions.rotate.bind(sessions)
  let gate: { left: number; open: Promise<void>; release: () => void } | null = null
  const state = { rotations: 0 }
  sessions.rotate = (...args) => {
    state.rotations++
    return rotate(...args)
  }
  sessions.findRefreshToken = async (hash) => {
    const record = await find(hash)
    const current = gate
    if (current) {
      current.left--
      if (current.left === 0) {
        gate = null
        current.release()
      }
      await current.open
    }
    return record
  }
  return {
    state,
    arm(n: number) {
      let release = () => {}
      const open = new Promise<void>((resolve) => {
        release = resolve
      })
      gate = { left: n, open, release }
      state.rotations = 0
    },
  }
}

const sidOf = (accessToken: string) => String(decodeJwt(accessToken).sid)

describe('POST /token grant_type=refresh_token', () => {
  describe('rotation', () => {
    it('returns a new access token and a new refresh token, and spends the old refresh token', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      assert.deepEqual(Object.keys(second).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'scope',
        'token_type',
      ])
      assert.equal(second.token_type, 'Bearer')
      assert.equal(second.expires_in, 900)
      assert.equal(second.scope, 'profile sessions email')
      assert.match(second.refresh_token, /^[A-Za-z0-9_-]{43}$/)
      assert.notEqual(second.refresh_token, first.refresh_token)
      assert.notEqual(second.access_token, first.access_token)
      await assertAccessAccepted(app, second.access_token)
      // The successor rotates in turn.
      const third = await refreshOk(app, second.refresh_token)
      assert.notEqual(third.refresh_token, second.refresh_token)
      assert.notEqual(third.refresh_token, first.refresh_token)
      await assertAccessAccepted(app, third.access_token)
      // The first token is spent: presenting it again is refused.
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
    })

    it('keeps the session id: every access token of the family carries the sid of the session', async (t) => {
      const { app, services } = await buildTestApp(t)
      const user = await registerUser(app, 'alice')
      const first = await loginPair(app)
      const [session] = await services.sessions.listLive(user.id)
      assert.ok(session)
      assert.equal(sidOf(first.access_token), session.id)
      const second = await refreshOk(app, first.refresh_token)
      const third = await refreshOk(app, second.refresh_token)
      assert.equal(sidOf(second.access_token), session.id)
      assert.equal(sidOf(third.access_token), session.id)
      assert.equal(decodeJwt(third.access_token).sub, user.id)
      // A second login is a second session with another sid.
      const other = await loginPair(app)
      assert.notEqual(sidOf(other.access_token), session.id)
      assert.equal((await services.sessions.listLive(user.id)).length, 2)
    })

    it('issues the refreshed access token at the current time', async (t) => {
      const { app, clock } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      clock.advance(10 * 60 * SECOND)
      const second = await refreshOk(app, first.refresh_token)
      const claims = decodeJwt(second.access_token)
      assert.equal(claims.iat, Math.floor(clock.now() / 1000))
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900)
      // The first access token expires at its own exp; the refreshed one outlives it.
      clock.advance(6 * 60 * SECOND)
      const expired = await getMe(app, `Bearer ${first.access_token}`)
      assert.equal(expired.statusCode, 401)
      await assertAccessAccepted(app, second.access_token)
    })
  })

  describe('reuse detection', () => {
    it('answers a spent token with invalid_grant and revokes the session: the newest refresh token and every access token fail', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      const third = await refreshOk(app, second.refresh_token)

      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')

      assertTokenError(await refresh(app, third.refresh_token), 'invalid_grant')
      for (const pair of [first, second, third]) await assertAccessRejected(app, pair.access_token)
    })

    it('revokes only the family of the reused token, not the same user’s other sessions', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const stolen = await loginPair(app)
      const other = await loginPair(app)
      await refreshOk(app, stolen.refresh_token)
      assertTokenError(await refresh(app, stolen.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, stolen.access_token)
      await assertAccessAccepted(app, other.access_token)
      const next = await refreshOk(app, other.refresh_token)
      await assertAccessAccepted(app, next.access_token)
    })

    it('treats the immediate retry of a spent token as reuse when the grace window is off (the default)', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      // No time passes at all: still reuse.
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
      assertTokenError(await refresh(app, second.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, second.access_token)
    })

    it('logs the reuse as a warning naming the session and the user', async (t) => {
      const lines: string[] = []
      const logStream = new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk))
          callback()
        },
      })
      const { app } = await buildTestApp(t, { env: { PORTCULLIS_LOG_LEVEL: 'warn' }, logStream })
      const user = await registerUser(app, 'alice')
      const first = await loginPair(app)
      await refreshOk(app, first.refresh_token)
      assert.equal(
        lines.some((l) => l.includes('refresh_token_reuse')),
        false,
        'no reuse logged before the reuse',
      )
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
      const events = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.event === 'refresh_token_reuse')
      assert.equal(events.length, 1)
      assert.equal(events[0]?.sessionId, sidOf(first.access_token))
      assert.equal(events[0]?.userId, user.id)
      assert.doesNotMatch(lines.join('\n'), new RegExp(first.refresh_token))
    })
  })

  describe('concurrency', () => {
    it('lets exactly one of 5 concurrent refreshes with one token succeed, in each of 25 rounds', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      for (let round = 0; round < 25; round++) {
        const { refresh_token: token } = await loginPair(app)
        const results = await Promise.all(Array.from({ length: 5 }, () => refresh(app, token)))
        const ok = results.filter((r) => r.statusCode === 200)
        assert.equal(ok.length, 1, `round ${round}: ${results.map((r) => r.statusCode).join(' ')}`)
        for (const res of results) {
          if (res.statusCode !== 200) assertTokenError(res, 'invalid_grant')
        }
      }
    })

    it('lets exactly one succeed when all 5 have read the unspent token before any spends it, in each of 25 rounds', {
      timeout: 60_000,
    }, async (t) => {
      const { app, services } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const overlap = forceOverlap(services)
      for (let round = 0; round < 25; round++) {
        const { refresh_token: token } = await loginPair(app)
        overlap.arm(5)
        const results = await Promise.all(Array.from({ length: 5 }, () => refresh(app, token)))
        // At least two raced into the store's spend (a request may still find the session
        // already revoked by a loser that was faster, and stop before spending).
        assert.ok(overlap.state.rotations >= 2, `only ${overlap.state.rotations} spend attempts`)
        const statuses = results.map((r) => r.statusCode)
        assert.equal(statuses.filter((s) => s === 200).length, 1, `round ${round}: ${statuses}`)
        for (const res of results) {
          if (res.statusCode !== 200) assertTokenError(res, 'invalid_grant')
        }
      }
    })

    it('with a grace window, gives every concurrent refresh with one token the identical successor, in each of 25 rounds', {
      timeout: 60_000,
    }, async (t) => {
      const { app, services } = await buildTestApp(t, {
        env: { PORTCULLIS_REFRESH_GRACE_SECONDS: '5' },
      })
      await registerUser(app, 'alice')
      const overlap = forceOverlap(services)
      for (let round = 0; round < 25; round++) {
        const { refresh_token: token } = await loginPair(app)
        overlap.arm(5)
        const results = await Promise.all(Array.from({ length: 5 }, () => refresh(app, token)))
        assert.equal(overlap.state.rotations, 5, 'every request reached the atomic spend')
        const statuses = results.map((r) => r.statusCode)
        assert.deepEqual(statuses, [200, 200, 200, 200, 200], `round ${round}`)
        const successors = new Set(results.map((r) => (r.json() as TokenResponse).refresh_token))
        assert.equal(successors.size, 1, `round ${round}: never a second, different successor`)
        const [successor] = successors
        assert.ok(successor)
        await refreshOk(app, successor)
      }
    })
  })

  describe('grace window (PORTCULLIS_REFRESH_GRACE_SECONDS=5)', () => {
    const env = { PORTCULLIS_REFRESH_GRACE_SECONDS: '5' }

    it('returns the identical successor to a retry of the just-spent token within the window', async (t) => {
      const { app, clock } = await buildTestApp(t, { env })
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      clock.advance(3 * SECOND)
      const retry = await refreshOk(app, first.refresh_token)
      assert.equal(retry.refresh_token, second.refresh_token)
      assert.equal(sidOf(retry.access_token), sidOf(second.access_token))
      await assertAccessAccepted(app, retry.access_token)
      clock.advance(2 * SECOND)
      // Exactly at the end of the window: still the same successor.
      assert.equal((await refreshOk(app, first.refresh_token)).refresh_token, second.refresh_token)
      // The successor is the one that keeps working.
      const third = await refreshOk(app, second.refresh_token)
      await assertAccessAccepted(app, third.access_token)
    })

    it('treats a retry after the window as reuse and revokes the session', async (t) => {
      const { app, clock } = await buildTestApp(t, { env })
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      clock.advance(5 * SECOND + 1)
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
      assertTokenError(await refresh(app, second.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, first.access_token)
      await assertAccessRejected(app, second.access_token)
    })

    it('treats a retry within the window as reuse once the successor has been used', async (t) => {
      const { app, clock } = await buildTestApp(t, { env })
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      const second = await refreshOk(app, first.refresh_token)
      const third = await refreshOk(app, second.refresh_token)
      clock.advance(SECOND)
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
      assertTokenError(await refresh(app, third.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, third.access_token)
    })
  })

  describe('expiry', () => {
    it('refuses a session left idle for more than 14 days (the default idle expiry)', async (t) => {
      const { app, clock } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      clock.advance(14 * DAY + 1)
      assertTokenError(await refresh(app, first.refresh_token), 'invalid_grant')
    })

    it('extends the idle expiry on each refresh', async (t) => {
      const { app, clock } = await buildTestApp(t)
      await registerUser(app, 'alice')
      let pair = await loginPair(app)
      // Five refreshes 13 days apart: 65 days, far beyond one idle period.
      for (let i = 0; i < 5; i++) {
        clock.advance(13 * DAY)
        pair = await refreshOk(app, pair.refresh_token)
      }
      await assertAccessAccepted(app, pair.access_token)
      clock.advance(14 * DAY - SECOND)
      pair = await refreshOk(app, pair.refresh_token)
      clock.advance(14 * DAY + SECOND)
      assertTokenError(await refresh(app, pair.refresh_token), 'invalid_grant')
    })

    it('honours a configured idle expiry (PORTCULLIS_SESSION_IDLE_TTL)', async (t) => {
      const { app, clock } = await buildTestApp(t, {
        env: { PORTCULLIS_SESSION_IDLE_TTL: '3600' },
      })
      await registerUser(app, 'alice')
      const kept = await loginPair(app)
      const idle = await loginPair(app)
      clock.advance(59 * 60 * SECOND)
      const next = await refreshOk(app, kept.refresh_token)
      clock.advance(2 * 60 * SECOND)
      assertTokenError(await refresh(app, idle.refresh_token), 'invalid_grant')
      await refreshOk(app, next.refresh_token)
    })

    it('refuses a session past its 90-day absolute expiry however recently it was refreshed', async (t) => {
      const { app, clock } = await buildTestApp(t)
      await registerUser(app, 'alice')
      let pair = await loginPair(app)
      // Refresh every 5 days up to day 85, then at day 90 minus one minute.
      for (let day = 5; day <= 85; day += 5) {
        clock.advance(5 * DAY)
        pair = await refreshOk(app, pair.refresh_token)
      }
      clock.advance(5 * DAY - 60 * SECOND)
      pair = await refreshOk(app, pair.refresh_token)
      await assertAccessAccepted(app, pair.access_token)
      clock.advance(61 * SECOND)
      assertTokenError(await refresh(app, pair.refresh_token), 'invalid_grant')
      // The access token has not reached its exp, but its session has ended.
      assert.ok((decodeJwt(pair.access_token).exp ?? 0) * 1000 > clock.now())
      await assertAccessRejected(app, pair.access_token)
    })

    it('honours a configured absolute expiry (PORTCULLIS_SESSION_MAX_TTL)', async (t) => {
      const { app, clock } = await buildTestApp(t, {
        env: { PORTCULLIS_SESSION_IDLE_TTL: '3600', PORTCULLIS_SESSION_MAX_TTL: '7200' },
      })
      await registerUser(app, 'alice')
      let pair = await loginPair(app)
      for (let i = 0; i < 3; i++) {
        clock.advance(30 * 60 * SECOND)
        pair = await refreshOk(app, pair.refresh_token)
      }
      clock.advance(29 * 60 * SECOND)
      pair = await refreshOk(app, pair.refresh_token)
      clock.advance(61 * SECOND)
      assertTokenError(await refresh(app, pair.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, pair.access_token)
    })
  })

  describe('scope', () => {
    it('narrows the scope on request, and falls back to the session’s scope when omitted', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app)
      assert.equal(first.scope, 'profile sessions email')
      const narrow = await refreshOk(app, first.refresh_token, { scope: 'profile' })
      assert.equal(narrow.scope, 'profile')
      assert.equal(decodeJwt(narrow.access_token).scope, 'profile')
      const again = await refreshOk(app, narrow.refresh_token)
      assert.equal(again.scope, 'profile sessions email')
      assert.equal(decodeJwt(again.access_token).scope, 'profile sessions email')
    })

    it('refuses a wider scope with invalid_scope and does not spend the token', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const first = await loginPair(app, 'alice', { scope: 'profile' })
      assert.equal(first.scope, 'profile')
      assertTokenError(
        await refresh(app, first.refresh_token, { scope: 'profile sessions email' }),
        'invalid_scope',
      )
      assertTokenError(await refresh(app, first.refresh_token, { scope: 'admin' }), 'invalid_scope')
      const next = await refreshOk(app, first.refresh_token)
      assert.equal(next.scope, 'profile')
      await assertAccessAccepted(app, next.access_token)
    })
  })

  describe('bad requests', () => {
    for (const [label, form] of [
      ['a missing refresh_token', 'grant_type=refresh_token'],
      ['an empty refresh_token', 'grant_type=refresh_token&refresh_token='],
      ['a repeated refresh_token', 'grant_type=refresh_token&refresh_token=a&refresh_token=b'],
    ] as const) {
      it(`answers ${label} with 400 invalid_request`, async (t) => {
        const { app } = await buildTestApp(t)
        assertTokenError(await postToken(app, form), 'invalid_request')
      })
    }

    it('answers garbage, unknown and wrong-kind tokens with 400 invalid_grant', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const pair = await loginPair(app)
      const unknown = 'A'.repeat(43)
      for (const token of [
        'garbage',
        unknown,
        `${pair.refresh_token}x`,
        pair.refresh_token.slice(1),
        pair.access_token,
        ' '.repeat(43),
      ]) {
        const res = await refresh(app, token)
        assertTokenError(res, 'invalid_grant')
      }
      // None of that touched the real session.
      await refreshOk(app, pair.refresh_token)
    })

    it('refuses the refresh token of a disabled user with invalid_grant', async (t) => {
      const { app, services, clock } = await buildTestApp(t)
      const user = await registerUser(app, 'alice')
      const pair = await loginPair(app)
      await services.store.users.setDisabled(user.id, true, new Date(clock.now()).toISOString())
      assertTokenError(await refresh(app, pair.refresh_token), 'invalid_grant')
      await assertAccessRejected(app, pair.access_token)
    })

    it('refuses a refresh token presented with another client_id', async (t) => {
      const { app } = await buildTestApp(t)
      await registerUser(app, 'alice')
      const pair = await loginPair(app)
      const res = await refresh(app, pair.refresh_token, { client_id: 'someone-else' })
      assertTokenError(res, 'invalid_client', 401)
      await refreshOk(app, pair.refresh_token, { client_id: 'portcullis' })
    })
  })
})
