import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  basic,
  buildTestApp,
  createClient,
  ISSUER,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { sharedDatabaseUrl } from '../support/engines.js'

const API = 'https://api.example.com/'
const OTHER = 'https://other.example.com/'
const env = { PORTCULLIS_RESOURCES: `${API} ${OTHER}` }
const otherApi = 'the access token is for another API (its audience is not this server)'

/**
 * A confidential client allowed to introspect, serving `resource` (null: Portcullis itself);
 * returns its HTTP Basic credentials.
 */
async function resourceServer(test: TestApp, id: string, resource: string | null) {
  const { client, secret } = await createClient(test, {
    id,
    grantTypes: ['client_credentials'],
    scopes: [],
    introspect: true,
    resource,
  })
  assert.equal(client.resource, resource)
  return basic(client.id, secret ?? '')
}

async function setup(t: Parameters<typeof buildTestApp>[0], databaseUrl?: string) {
  const test = await buildTestApp(t, { env, ...(databaseUrl ? { databaseUrl } : {}) })
  const user = await registerUser(test.app, 'alice')
  const servers = {
    portcullis: await resourceServer(test, 'rs-portcullis', null),
    api: await resourceServer(test, 'rs-api', API),
    other: await resourceServer(test, 'rs-other', OTHER),
  }
  return { test, user, servers }
}

async function tokens(test: TestApp, form: Record<string, string> = {}) {
  const res = await postToken(test.app, { username: 'alice', password: PASSWORD, ...form })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

function introspect(test: TestApp, auth: string, token: string) {
  return test.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
    payload: new URLSearchParams({ token }).toString(),
  })
}

async function introspection(test: TestApp, auth: string, token: string) {
  const res = await introspect(test, auth, token)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as Record<string, unknown>
}

function revoke(test: TestApp, token: string, headers: Record<string, string> = {}) {
  return test.app.inject({
    method: 'POST',
    url: '/revoke',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ token }).toString(),
  })
}

describe("Portcullis's own API accepts only tokens for Portcullis (RFC 8707)", () => {
  const routes = [
    ['GET', '/users/me'],
    ['GET', '/users/me/sessions'],
    ['POST', '/logout'],
    ['GET', '/admin/users'],
    ['GET', '/admin/audit'],
  ] as const
  for (const [method, url] of routes) {
    it(`${method} ${url} answers a token for another API with 401 invalid_token`, async (t) => {
      const { test } = await setup(t)
      const { access_token } = await tokens(test, { resource: API })
      const res = await test.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${access_token}` },
      })
      assert.equal(res.statusCode, 401, res.body)
      assert.deepEqual(res.json(), { error: 'invalid_token', error_description: otherApi })
      assert.equal(
        res.headers['www-authenticate'],
        `Bearer realm="portcullis", error="invalid_token", error_description="${otherApi}"`,
      )
    })
  }

  it('still refuses it after its resource server introspected it (no cache shared)', async (t) => {
    const { test, servers } = await setup(t)
    const { access_token } = await tokens(test, { resource: API })
    for (let i = 0; i < 3; i++) {
      assert.equal((await introspection(test, servers.api, access_token)).active, true)
      const me = await test.app.inject({
        url: '/users/me',
        headers: { authorization: `Bearer ${access_token}` },
      })
      assert.equal(me.statusCode, 401)
      assert.equal(me.json().error_description, otherApi)
    }
  })

  it('and the logout it refused left the session live', async (t) => {
    const { test, servers } = await setup(t)
    const { access_token } = await tokens(test, { resource: API })
    const res = await test.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { authorization: `Bearer ${access_token}` },
    })
    assert.equal(res.statusCode, 401)
    assert.equal((await introspection(test, servers.api, access_token)).active, true)
  })
})

describe('introspection tells a resource server only about tokens meant for it (RFC 7662 §2.2)', () => {
  it('a token for a resource is active only to that resource’s server', async (t) => {
    const { test, user, servers } = await setup(t)
    const { access_token, refresh_token } = await tokens(test, { resource: API })
    const body = await introspection(test, servers.api, access_token)
    assert.equal(body.active, true)
    assert.equal(body.aud, API)
    assert.equal(body.sub, user.id)
    assert.equal(body.username, 'alice')
    assert.equal(body.iss, ISSUER)
    assert.equal(body.scope, 'profile sessions email')
    for (const other of [servers.other, servers.portcullis]) {
      assert.deepEqual(await introspection(test, other, access_token), { active: false })
    }
    // A refresh token is only ever presented to Portcullis: only its own servers hear of it.
    assert.deepEqual(await introspection(test, servers.api, refresh_token), { active: false })
    assert.equal((await introspection(test, servers.portcullis, refresh_token)).active, true)
  })

  it('a token for Portcullis is active only to a server whose resource is Portcullis', async (t) => {
    const { test, servers } = await setup(t)
    const { access_token, refresh_token } = await tokens(test)
    const body = await introspection(test, servers.portcullis, access_token)
    assert.equal(body.active, true)
    assert.equal(body.aud, ISSUER)
    for (const other of [servers.api, servers.other]) {
      assert.deepEqual(await introspection(test, other, access_token), { active: false })
      assert.deepEqual(await introspection(test, other, refresh_token), { active: false })
    }
  })

  it('a client_credentials token (for Portcullis) is inactive to a resource’s server', async (t) => {
    const { test, servers } = await setup(t)
    const { client, secret } = await createClient(test, { id: 'machine' })
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(res.statusCode, 200, res.body)
    const token = res.json().access_token
    assert.deepEqual(await introspection(test, servers.api, token), { active: false })
    assert.equal((await introspection(test, servers.portcullis, token)).active, true)
  })

  it('a client_credentials token asked for a resource is that resource’s alone; an unconfigured one is invalid_target', async (t) => {
    const { test, servers } = await setup(t)
    const { client, secret } = await createClient(test, { id: 'machine' })
    const auth = { authorization: basic(client.id, secret ?? '') }
    const refused = await postToken(
      test.app,
      { grant_type: 'client_credentials', resource: 'https://not-configured.example/' },
      auth,
    )
    assert.equal(refused.statusCode, 400)
    assert.equal(refused.json().error, 'invalid_target')
    const res = await postToken(test.app, { grant_type: 'client_credentials', resource: API }, auth)
    assert.equal(res.statusCode, 200, res.body)
    const token = res.json().access_token
    assert.equal((await introspection(test, servers.api, token)).active, true)
    assert.deepEqual(await introspection(test, servers.portcullis, token), { active: false })
    assert.deepEqual(await introspection(test, servers.other, token), { active: false })
  })

  it('a token for a resource no longer configured is inactive to everyone', async (t) => {
    const url = await sharedDatabaseUrl(t)
    const { test, servers } = await setup(t, url)
    const { access_token } = await tokens(test, { resource: OTHER })
    assert.equal((await introspection(test, servers.other, access_token)).active, true)
    // The same database, restarted without OTHER among the resources.
    const restarted = await buildTestApp(t, {
      env: { PORTCULLIS_RESOURCES: API },
      databaseUrl: url,
      clock: test.clock,
    })
    for (const server of Object.values(servers)) {
      assert.deepEqual(await introspection(restarted, server, access_token), { active: false })
    }
  })
})

describe('revocation of a token for a resource (RFC 7009)', () => {
  it('by the client it was issued to ends its session', async (t) => {
    const { test, servers } = await setup(t)
    const { access_token, refresh_token } = await tokens(test, { resource: API })
    const res = await revoke(test, access_token)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(await introspection(test, servers.api, access_token), { active: false })
    const refreshed = await postToken(test.app, {
      grant_type: 'refresh_token',
      refresh_token,
    })
    assert.equal(refreshed.statusCode, 400)
    assert.equal(refreshed.json().error, 'invalid_grant')
    const [record] = await test.services.audit.list({ type: 'token.revoke', limit: 1 })
    assert.equal(record?.outcome, 'success')
  })

  it('by a registered client it was issued to (HTTP Basic)', async (t) => {
    const { test, servers } = await setup(t)
    const { client, secret } = await createClient(test, {
      id: 'web',
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile'],
    })
    const auth = basic(client.id, secret ?? '')
    const res = await postToken(
      test.app,
      { username: 'alice', password: PASSWORD, resource: API },
      { authorization: auth },
    )
    assert.equal(res.statusCode, 200, res.body)
    const { access_token } = res.json()
    assert.equal((await introspection(test, servers.api, access_token)).active, true)
    assert.equal((await revoke(test, access_token, { authorization: auth })).statusCode, 200)
    assert.deepEqual(await introspection(test, servers.api, access_token), { active: false })
  })

  it('by another client changes nothing (and answers 200 all the same)', async (t) => {
    const { test, servers } = await setup(t)
    const { client, secret } = await createClient(test, {
      id: 'web',
      grantTypes: ['password'],
      scopes: ['profile'],
    })
    const { access_token } = await tokens(test, { resource: API })
    const res = await revoke(test, access_token, { authorization: basic(client.id, secret ?? '') })
    assert.equal(res.statusCode, 200)
    assert.equal((await introspection(test, servers.api, access_token)).active, true)
    const [record] = await test.services.audit.list({ type: 'token.revoke', limit: 1 })
    assert.equal(record?.outcome, 'failure')
  })
})
