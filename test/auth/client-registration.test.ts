import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { cliActor } from '../../src/auth/audit.js'
import type { ClientInput } from '../../src/auth/clients.js'
import { ApiError } from '../../src/errors.js'
import { buildTestApp } from '../helpers.js'

const API = 'https://api.example/'

async function clientsOf(t: TestContext) {
  const { services } = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: `${API} https://b/` } })
  return services
}

const web: ClientInput = {
  id: 'web',
  name: 'Web app',
  confidential: true,
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['profile'],
  redirectUris: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
  postLogoutRedirectUris: ['https://app.example/'],
}

/** Asserts that `promise` fails with 400 invalid_request whose description matches `reason`. */
async function refused(promise: Promise<unknown>, reason: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError, String(error))
    assert.equal(error.code, 'invalid_request')
    assert.match(error.message, reason)
    return true
  })
}

describe('ClientService.create for the authorization code flow', () => {
  it('stores redirect URIs, post-logout URIs, first-party and resource as given', async (t) => {
    const { clients, store } = await clientsOf(t)
    const { client } = await clients.create(
      {
        ...web,
        firstParty: true,
        resource: API,
        redirectUris: [...(web.redirectUris ?? []), 'https://app.example/cb'],
      },
      cliActor,
    )
    assert.deepEqual(client.redirectUris, ['https://app.example/cb', 'http://127.0.0.1:8080/cb'])
    assert.deepEqual(client.postLogoutRedirectUris, ['https://app.example/'])
    assert.equal(client.firstParty, true)
    assert.equal(client.resource, API)
    assert.deepEqual(await store.clients.findById('web'), client)
  })

  it('defaults to no URIs, third-party and no resource', async (t) => {
    const { clients } = await clientsOf(t)
    const { client } = await clients.create(
      { name: 'Worker', confidential: true, grantTypes: ['client_credentials'], scopes: [] },
      cliActor,
    )
    assert.deepEqual(
      [client.redirectUris, client.postLogoutRedirectUris, client.firstParty, client.resource],
      [[], [], false, null],
    )
  })

  it('lets a public client use the code flow (PKCE)', async (t) => {
    const { clients } = await clientsOf(t)
    const { client, secret } = await clients.create({ ...web, confidential: false }, cliActor)
    assert.equal(secret, null)
    assert.deepEqual(client.grantTypes, ['authorization_code', 'refresh_token'])
  })

  it('refuses the code flow without a redirect URI, and URIs without the code flow', async (t) => {
    const { clients, store } = await clientsOf(t)
    await refused(clients.create({ ...web, redirectUris: [] }, cliActor), /at least one redirect/)
    await refused(clients.create({ ...web, redirectUris: undefined }, cliActor), /at least one/)
    const password = { ...web, grantTypes: ['password'] }
    await refused(clients.create(password, cliActor), /need the authorization_code grant/)
    await refused(
      clients.create(
        { ...password, redirectUris: [], postLogoutRedirectUris: ['https://a/'] },
        cliActor,
      ),
      /need the authorization_code grant/,
    )
    assert.deepEqual(await store.clients.list(), [])
  })

  it('refuses a bad redirect URI in either list, and too many', async (t) => {
    const { clients, store } = await clientsOf(t)
    await refused(
      clients.create({ ...web, redirectUris: ['https://app.example/cb#x'] }, cliActor),
      /^each of redirect_uris must not have a fragment$/,
    )
    await refused(
      clients.create({ ...web, redirectUris: ['http://app.example/cb'] }, cliActor),
      /redirect_uris must use https/,
    )
    await refused(
      clients.create({ ...web, postLogoutRedirectUris: ['https://*.example/'] }, cliActor),
      /^each of post_logout_redirect_uris must not contain a wildcard/,
    )
    const many = Array.from({ length: 21 }, (_, i) => `https://app.example/${i}`)
    await refused(clients.create({ ...web, redirectUris: many }, cliActor), /at most 20/)
    assert.deepEqual(await store.clients.list(), [])
  })

  it('refuses a resource the operator did not configure', async (t) => {
    const { clients, store } = await clientsOf(t)
    await refused(
      clients.create({ ...web, resource: 'https://other.example/' }, cliActor),
      /resource must be one of the configured resources/,
    )
    await refused(clients.create({ ...web, resource: `${API}x` }, cliActor), /configured/)
    assert.deepEqual(await store.clients.list(), [])
  })
})

describe('ClientService.delete', () => {
  it('deletes the consents to the client and revokes its sessions', async (t) => {
    const { clients, store, sessions } = await clientsOf(t)
    await clients.create(web, cliActor)
    const user = await store.users.create({
      id: '00000000-0000-4000-8000-000000000001',
      username: 'alice',
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: 'x',
      createdAt: '2026-06-01T12:00:00.000Z',
    })
    await store.consents.grant(user.id, 'web', ['profile'], '2026-06-01T12:00:00.000Z')
    const meta = { ip: null, userAgent: null }
    const { session } = await sessions.start(user.id, 'web', 'profile', meta, {
      refreshToken: true,
    })
    await clients.delete('web', cliActor)
    assert.equal(await store.consents.find(user.id, 'web'), null)
    assert.notEqual((await store.sessions.findById(session.id))?.revokedAt, null)
  })
})
