import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { buildTestApp, PASSWORD, postToken, registerUser, type TestApp } from '../helpers.js'
import { authorizeCode, codeClient, exchange, pkce } from '../routes/authorize-support.js'

const MINUTE = 60_000
const seconds = (ms: number) => Math.floor(ms / 1000)

/** POST /token with a refresh token; asserts 200 and returns the body. */
async function refreshed({ app }: TestApp, refresh_token: string, client_id?: string) {
  const res = await postToken(app, {
    grant_type: 'refresh_token',
    refresh_token,
    ...(client_id ? { client_id } : {}),
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

/** A provider login of `userId` signed in by `amr` at `authTime` (ms), with its cookie. */
async function signedIn(testApp: TestApp, userId: string, amr: string[], authTime: number) {
  const cookie = randomBytes(32).toString('base64url')
  const now = testApp.clock.now()
  const iso = (ms: number) => new Date(ms).toISOString()
  await testApp.services.store.browserSessions.create({
    id: randomUUID(),
    secretHash: createHash('sha256').update(cookie).digest('base64url'),
    userId,
    authTime: iso(authTime),
    amr,
    ip: '127.0.0.1',
    userAgent: null,
    createdAt: iso(now),
    lastSeenAt: iso(now),
    idleExpiresAt: iso(now + 60 * MINUTE),
    absoluteExpiresAt: iso(now + 24 * 60 * MINUTE),
    endedAt: null,
  })
  return `portcullis-session=${cookie}`
}

describe('amr and auth_time in access tokens', () => {
  it('the password grant carries amr pwd and the sign-in time; a refresh keeps both', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, clock } = testApp
    await registerUser(app, 'alice')
    const signInAt = clock.now()
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 200, res.body)
    const first = decodeJwt(res.json().access_token)
    assert.deepEqual(first.amr, ['pwd'])
    assert.equal(first.auth_time, seconds(signInAt))

    let refreshToken = res.json().refresh_token as string
    for (const minutes of [5, 30]) {
      clock.advance(minutes * MINUTE)
      const body = await refreshed(testApp, refreshToken)
      refreshToken = body.refresh_token
      const claims = decodeJwt(body.access_token)
      assert.equal(claims.iat, seconds(clock.now()), 'a new token')
      assert.deepEqual(claims.amr, ['pwd'], 'the original sign-in’s amr')
      assert.equal(claims.auth_time, seconds(signInAt), 'the original sign-in’s time')
    }
  })

  it('the code grant carries the browser sign-in’s amr and time; a refresh keeps both', async (t) => {
    const testApp = await buildTestApp(t)
    const { clock } = testApp
    const client = await codeClient(testApp)
    const { id } = await registerUser(testApp.app, 'bob')
    const signInAt = clock.now() - 3 * MINUTE
    const cookie = await signedIn(testApp, id, ['pwd', 'otp', 'mfa'], signInAt)
    const { verifier, challenge } = pkce()
    const code = await authorizeCode(testApp, client, cookie, challenge, { scope: 'profile' })
    const res = await exchange(testApp, client, code, verifier)
    assert.equal(res.statusCode, 200, res.body)
    const first = decodeJwt(res.json().access_token)
    assert.deepEqual(first.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(first.auth_time, seconds(signInAt))

    clock.advance(20 * MINUTE)
    const body = await refreshed(testApp, res.json().refresh_token, client.id)
    const claims = decodeJwt(body.access_token)
    assert.equal(claims.iat, seconds(clock.now()))
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(claims.auth_time, seconds(signInAt))
  })

  it('client_credentials tokens carry neither', async (t) => {
    const testApp = await buildTestApp(t)
    const client = await codeClient(testApp, {
      secret: 'machine-secret-0123456789',
      grantTypes: ['client_credentials'],
      scopes: [],
    })
    const res = await postToken(testApp.app, {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: 'machine-secret-0123456789',
    })
    assert.equal(res.statusCode, 200, res.body)
    const claims = decodeJwt(res.json().access_token)
    assert.equal('amr' in claims, false)
    assert.equal('auth_time' in claims, false)
  })
})
