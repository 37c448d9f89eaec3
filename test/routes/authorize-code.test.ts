import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import type { ClientRecord } from '../../src/store/store.js'
import { buildTestApp, getMe, postToken, type TestApp } from '../helpers.js'
import { authorizeQuery, browserSession, codeClient, exchange, pkce } from './authorize-support.js'

const API = 'https://api.example/'

/** A code issued by the flow to a signed-in browser (the route's part is tested elsewhere). */
async function codeFor(testApp: TestApp, client: ClientRecord, extra: Record<string, string> = {}) {
  const { session, userId } = await browserSession(
    testApp,
    `u${Math.random().toString(36).slice(2, 10)}`,
  )
  const user = await testApp.services.store.users.findById(userId)
  assert.ok(user)
  const { challenge, verifier } = pkce()
  const outcome = await testApp.services.authorization.authorize(
    authorizeQuery(client, challenge, extra),
    { session, user },
  )
  assert.equal(outcome.kind, 'redirect', JSON.stringify(outcome))
  const location = new URL((outcome as { location: string }).location)
  const code = location.searchParams.get('code')
  assert.ok(code, location.href)
  return { code, verifier, userId, browserSessionId: session.id }
}

async function setup(t: TestContext, client: Partial<ClientRecord> = {}) {
  const testApp = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: API } })
  return { testApp, client: await codeClient(testApp, client) }
}

describe('POST /token grant_type=authorization_code', () => {
  it('does not ask the token request for a redirect_uri the authorization request left out (RFC 6749 §4.1.3), and checks one it included', async (t) => {
    const { testApp, client } = await setup(t)
    const { session, userId } = await browserSession(testApp, 'carol')
    const user = await testApp.services.store.users.findById(userId)
    assert.ok(user)
    const codeOf = async (query: Record<string, string>) => {
      const outcome = await testApp.services.authorization.authorize(query, { session, user })
      assert.equal(outcome.kind, 'redirect', JSON.stringify(outcome))
      return new URL((outcome as { location: string }).location).searchParams.get('code') as string
    }
    const left = pkce()
    const { redirect_uri: _, ...withoutUri } = authorizeQuery(client, left.challenge)
    const res = await postToken(testApp.app, {
      grant_type: 'authorization_code',
      code: await codeOf(withoutUri),
      code_verifier: left.verifier,
      client_id: client.id,
    })
    assert.equal(res.statusCode, 200, res.body)
    const given = pkce()
    const code = await codeOf(authorizeQuery(client, given.challenge))
    const missing = await postToken(testApp.app, {
      grant_type: 'authorization_code',
      code,
      code_verifier: given.verifier,
      client_id: client.id,
    })
    assert.equal(missing.statusCode, 400)
    assert.equal(missing.json().error, 'invalid_grant')
  })

  it('an openid token is active at introspection with openid in its scope, for Portcullis and for a resource', async (t) => {
    const { testApp, client } = await setup(t)
    const secret = 's'.repeat(43)
    const rs = async (resource: string | null) =>
      codeClient(testApp, {
        grantTypes: ['client_credentials'],
        introspect: true,
        secret,
        resource,
      })
    for (const [resource, scope] of [
      [null, 'openid'],
      [API, 'openid'],
      [null, 'openid profile'],
    ] as const) {
      const { code, verifier } = await codeFor(testApp, client, {
        scope,
        ...(resource === null ? {} : { resource }),
      })
      const token = await exchange(testApp, client, code, verifier)
      assert.equal(token.statusCode, 200, token.body)
      const server = await rs(resource)
      const res = await testApp.app.inject({
        method: 'POST',
        url: '/introspect',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${server.id}:${secret}`).toString('base64')}`,
        },
        payload: new URLSearchParams({ token: token.json().access_token }).toString(),
      })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().active, true, `${resource} ${scope}: ${res.body}`)
      assert.equal(res.json().scope, scope)
    }
  })

  it('exchanges a code for an access token that calls /users/me and a refresh token that refreshes', async (t) => {
    const { testApp, client } = await setup(t)
    const { code, verifier, userId, browserSessionId } = await codeFor(testApp, client, {
      scope: 'profile email',
    })
    const res = await exchange(testApp, client, code, verifier)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ])
    assert.equal(body.scope, 'profile email')
    const claims = decodeJwt(body.access_token)
    assert.equal(claims.sub, userId)
    assert.equal(claims.client_id, client.id)
    const me = await getMe(testApp.app, `Bearer ${body.access_token}`)
    assert.equal(me.statusCode, 200, me.body)
    const session = await testApp.services.store.sessions.findById(claims.sid as string)
    assert.equal(session?.browserSessionId, browserSessionId)
    assert.equal(session?.resource, null)
    const refreshed = await postToken(testApp.app, {
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token,
      client_id: client.id,
    })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    const audit = await testApp.services.store.audit.list({
      type: 'token.authorization_code',
      limit: 5,
    })
    assert.equal(audit.length, 1)
    assert.equal(audit[0]?.userId, userId)
    assert.ok(!JSON.stringify(audit).includes(code))
  })

  it('gives no refresh token to a client without the refresh_token grant', async (t) => {
    const { testApp, client } = await setup(t, { grantTypes: ['authorization_code'] })
    const { code, verifier } = await codeFor(testApp, client)
    const res = await exchange(testApp, client, code, verifier)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().refresh_token, undefined)
  })

  it('issues the access token for the resource of the request (RFC 8707 aud)', async (t) => {
    const { testApp, client } = await setup(t)
    const { code, verifier } = await codeFor(testApp, client, { resource: API })
    const wrong = await exchange(testApp, client, code, verifier, {
      resource: 'https://x.example/',
    })
    assert.equal(wrong.statusCode, 400)
    assert.equal(wrong.json().error, 'invalid_target')
    const res = await exchange(testApp, client, code, verifier, { resource: API })
    assert.equal(res.statusCode, 200, res.body)
    const claims = decodeJwt(res.json().access_token)
    assert.equal(claims.aud, API)
    const session = await testApp.services.store.sessions.findById(claims.sid as string)
    assert.equal(session?.resource, API)
  })

  it('refuses the code of a user disabled since', async (t) => {
    const { testApp, client } = await setup(t)
    const { code, verifier, userId } = await codeFor(testApp, client)
    await testApp.services.store.users.setDisabled(userId, true, new Date().toISOString())
    const res = await exchange(testApp, client, code, verifier)
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
  })

  it('refuses a client not allowed the grant (unauthorized_client)', async (t) => {
    const { testApp, client } = await setup(t)
    const { code, verifier } = await codeFor(testApp, client)
    await testApp.services.store.clients.delete(client.id)
    const narrowed = await codeClient(testApp, { id: client.id, grantTypes: ['refresh_token'] })
    const res = await exchange(testApp, narrowed, code, verifier)
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'unauthorized_client')
  })
})
