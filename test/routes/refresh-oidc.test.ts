import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, ISSUER, postToken, type TestApp } from '../helpers.js'
import { authorizeCode, browserSession, codeClient, exchange, pkce } from './authorize-support.js'

const API = 'https://api.example/'

/** Runs the code flow for a signed-in browser; returns the token response and the session. */
async function codeFlowTokens(test: TestApp, client: ClientRecord, extra: Record<string, string>) {
  const login = await browserSession(test)
  const { verifier, challenge } = pkce()
  const code = await authorizeCode(test, client, login.cookie, challenge, extra)
  const res = await exchange(
    test,
    client,
    code,
    verifier,
    extra.resource ? { resource: extra.resource } : {},
  )
  assert.equal(res.statusCode, 200, res.body)
  return { body: res.json(), login }
}

const refresh = (test: TestApp, client: ClientRecord, token: string, extra = {}) =>
  postToken(test.app, {
    grant_type: 'refresh_token',
    refresh_token: token,
    client_id: client.id,
    ...extra,
  })

describe('refresh_token grant: audience and ID token', () => {
  it('a refreshed openid session gets a new ID token: same sub, aud, auth_time, sid; no nonce', async (t) => {
    const test = await buildTestApp(t)
    const client = await codeClient(test)
    const { body, login } = await codeFlowTokens(test, client, {
      scope: 'openid profile',
      nonce: 'n-1',
    })
    const first = decodeJwt(body.id_token)
    assert.equal(first.nonce, 'n-1')
    test.clock.advance(60_000)
    const res = await refresh(test, client, body.refresh_token)
    assert.equal(res.statusCode, 200, res.body)
    const next = res.json()
    assert.equal(next.scope, 'openid profile')
    const { payload } = await jwtVerify(
      next.id_token,
      createLocalJWKSet(test.services.keyring.publicJwks()),
      { issuer: ISSUER, audience: client.id, currentDate: new Date(test.clock.now()), typ: 'JWT' },
    )
    assert.equal(payload.sub, login.userId)
    assert.equal(payload.sid, login.session.id)
    assert.equal(payload.auth_time, first.auth_time)
    assert.deepEqual(payload.amr, ['pwd'])
    assert.equal('nonce' in payload, false)
    assert.equal(payload.iat, Math.floor(test.clock.now() / 1000))
    const hash = createHash('sha256').update(next.access_token).digest().subarray(0, 16)
    assert.equal(payload.at_hash, hash.toString('base64url'))
  })

  it('a session without openid gets no ID token on refresh', async (t) => {
    const test = await buildTestApp(t)
    const client = await codeClient(test)
    const { body } = await codeFlowTokens(test, client, { scope: 'profile' })
    const res = await refresh(test, client, body.refresh_token)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().id_token, undefined)
  })

  it("keeps the access token's aud on the session's resource", async (t) => {
    const test = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: API } })
    const client = await codeClient(test)
    const { body } = await codeFlowTokens(test, client, { scope: 'profile', resource: API })
    assert.equal(decodeJwt(body.access_token).aud, API)
    const plain = await refresh(test, client, body.refresh_token)
    assert.equal(plain.statusCode, 200, plain.body)
    assert.equal(decodeJwt(plain.json().access_token).aud, API)
    const same = await refresh(test, client, plain.json().refresh_token, { resource: API })
    assert.equal(same.statusCode, 200, same.body)
    assert.equal(decodeJwt(same.json().access_token).aud, API)
  })

  it('refuses another resource with invalid_target and leaves the refresh token unspent', async (t) => {
    const test = await buildTestApp(t, {
      env: { PORTCULLIS_RESOURCES: `${API} https://other.example/` },
    })
    const client = await codeClient(test)
    const { body } = await codeFlowTokens(test, client, { scope: 'profile', resource: API })
    const other = await refresh(test, client, body.refresh_token, {
      resource: 'https://other.example/',
    })
    assert.equal(other.statusCode, 400)
    assert.equal(other.json().error, 'invalid_target')
    const after = await refresh(test, client, body.refresh_token)
    assert.equal(after.statusCode, 200, after.body)
  })

  it('refuses a resource on a session for Portcullis itself', async (t) => {
    const test = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: API } })
    const client = await codeClient(test)
    const { body } = await codeFlowTokens(test, client, { scope: 'profile' })
    assert.equal(decodeJwt(body.access_token).aud, ISSUER)
    const res = await refresh(test, client, body.refresh_token, { resource: API })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_target')
  })
})
