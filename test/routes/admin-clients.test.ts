import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import {
  adminLogin,
  basic,
  buildTestApp,
  getMe,
  PASSWORD,
  postToken,
  registerUser,
} from '../helpers.js'
import {
  assertClientError,
  assertError,
  assertInvalidToken,
  assertNoContent,
  call,
  loginPair,
  refresh,
} from './admin-support.js'

interface ClientView {
  client_id: string
  name: string
  confidential: boolean
  grant_types: string[]
  scopes: string[]
  introspect: boolean
  redirect_uris: string[]
  post_logout_redirect_uris: string[]
  first_party: boolean
  resource: string | null
  created_at: string
  updated_at: string
}

type Created = ClientView & { client_secret: string | null }

const viewKeys = [
  'client_id',
  'confidential',
  'created_at',
  'first_party',
  'grant_types',
  'introspect',
  'name',
  'post_logout_redirect_uris',
  'redirect_uris',
  'resource',
  'scopes',
  'updated_at',
]

const billing = {
  client_id: 'billing',
  name: 'Billing service',
  confidential: true,
  grant_types: ['client_credentials'],
  scopes: ['email'],
}

function createClient(app: FastifyInstance, token: string, body: unknown) {
  return call(app, 'POST', '/admin/clients', { token, body })
}

async function created(app: FastifyInstance, token: string, body: unknown): Promise<Created> {
  const res = await createClient(app, token, body)
  assert.equal(res.statusCode, 201, res.body)
  return res.json() as Created
}

function clientToken(app: FastifyInstance, id: string, secret: string, form = {}) {
  return postToken(
    app,
    { grant_type: 'client_credentials', ...form },
    { authorization: basic(id, secret) },
  )
}

function introspect(app: FastifyInstance, id: string, secret: string, token: string) {
  return app.inject({
    method: 'POST',
    url: '/introspect',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(id, secret),
    },
    payload: new URLSearchParams({ token }).toString(),
  })
}

async function listClients(app: FastifyInstance, token: string): Promise<ClientView[]> {
  const res = await call(app, 'GET', '/admin/clients', { token })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as ClientView[]
}

function assertInvalidClient(res: Awaited<ReturnType<typeof postToken>>) {
  assertError(res, 401, 'invalid_client')
  assert.match(String(res.headers['www-authenticate']), /^Basic realm="portcullis"/)
}

describe('POST /admin/clients', () => {
  it('registers a confidential client whose secret is shown once and works for client_credentials', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const res = await createClient(app, admin.token, { ...billing, introspect: false })
    assert.equal(res.statusCode, 201, res.body)
    assert.match(String(res.headers['cache-control']), /no-store/)
    const client = res.json() as Created
    assert.deepEqual(Object.keys(client).sort(), [...viewKeys, 'client_secret'].sort())
    assert.equal(client.client_id, 'billing')
    assert.equal(client.name, 'Billing service')
    assert.equal(client.confidential, true)
    assert.deepEqual(client.grant_types, ['client_credentials'])
    assert.deepEqual(client.scopes, ['email'])
    assert.equal(client.introspect, false)
    assert.deepEqual(
      [client.redirect_uris, client.post_logout_redirect_uris, client.first_party, client.resource],
      [[], [], false, null],
    )
    const secret = client.client_secret
    assert.ok(typeof secret === 'string' && secret.length >= 32, 'a long random secret')

    // Never shown again: not in the list, not in a read, not in the stored row.
    const list = await call(app, 'GET', '/admin/clients', { token: admin.token })
    assert.equal(list.statusCode, 200)
    assert.ok(!list.body.includes(secret))
    const listed = list.json() as ClientView[]
    assert.deepEqual(
      listed.map((c) => c.client_id),
      ['billing'],
    )
    assert.deepEqual(Object.keys(listed[0] ?? {}).sort(), viewKeys)
    const read = await call(app, 'GET', '/admin/clients/billing', { token: admin.token })
    assert.equal(read.statusCode, 200, read.body)
    assert.ok(!read.body.includes(secret))
    assert.deepEqual(Object.keys(read.json()).sort(), viewKeys)
    assert.equal(read.json().confidential, true)
    const stored = await testApp.services.store.clients.findById('billing')
    assert.ok(stored && !JSON.stringify(stored).includes(secret), 'stored only as a hash')

    // HTTP Basic.
    const token = await clientToken(app, 'billing', secret)
    assert.equal(token.statusCode, 200, token.body)
    const body = token.json()
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.scope, 'email')
    assert.equal(body.refresh_token, undefined)
    assert.equal(decodeJwt(body.access_token).sub, 'billing')
    assert.equal(decodeJwt(body.access_token).client_id, 'billing')
    // A client token is not a user's token.
    assertInvalidToken(await getMe(app, `Bearer ${body.access_token}`))
    // Form parameters work too; a wrong secret does not.
    const form = await postToken(app, {
      grant_type: 'client_credentials',
      client_id: 'billing',
      client_secret: secret,
    })
    assert.equal(form.statusCode, 200, form.body)
    assertInvalidClient(await clientToken(app, 'billing', `${secret}x`))
    assertInvalidClient(await clientToken(app, 'nobody', secret))
    // It may not use the password grant.
    const password = await postToken(
      app,
      { username: 'root', password: PASSWORD },
      { authorization: basic('billing', secret) },
    )
    assertError(password, 400, 'unauthorized_client')
  })

  it('generates a client_id when none is given', async (t) => {
    const testApp = await buildTestApp(t)
    const admin = await adminLogin(testApp)
    const { client_id: _, ...rest } = billing
    const client = await created(testApp.app, admin.token, rest)
    assert.match(client.client_id, /^[A-Za-z0-9._~-]{8,64}$/)
    assert.equal(
      (await call(testApp.app, 'GET', `/admin/clients/${client.client_id}`, { token: admin.token }))
        .statusCode,
      200,
    )
  })

  it('registers a public client without a secret, which a user can log in through', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const client = await created(app, admin.token, {
      client_id: 'mobile-app',
      name: 'Mobile app',
      confidential: false,
      grant_types: ['password', 'refresh_token'],
      scopes: ['profile', 'sessions'],
    })
    assert.equal(client.client_secret, null)
    assert.equal(client.confidential, false)
    assert.deepEqual(client.grant_types, ['password', 'refresh_token'])
    await registerUser(app, 'alice')
    const pair = await loginPair(app, 'alice', { client_id: 'mobile-app' })
    // The client's scopes bound what the user gets.
    assert.equal(pair.scope, 'profile sessions')
    assert.equal((await getMe(app, `Bearer ${pair.access_token}`)).statusCode, 200)
    assert.equal(decodeJwt(pair.access_token).client_id, 'mobile-app')
    const refreshed = await refresh(app, pair.refresh_token, { client_id: 'mobile-app' })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    // A public client has no client_credentials and no secret to rotate.
    assertError(
      await postToken(app, { grant_type: 'client_credentials', client_id: 'mobile-app' }),
      400,
      'unauthorized_client',
    )
    assertError(
      await call(app, 'POST', '/admin/clients/mobile-app/secret', { token: admin.token }),
      400,
      'invalid_request',
    )
  })

  it('registers a code-flow client with its redirect URIs, first-party flag and resource', async (t) => {
    const API = 'https://api.example/'
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_RESOURCES: API } })
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const body = {
      client_id: 'web',
      name: 'Web app',
      confidential: false,
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['profile'],
      redirect_uris: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
      post_logout_redirect_uris: ['https://app.example/'],
      first_party: true,
      resource: API,
    }
    const client = await created(app, admin.token, body)
    const { client_secret, ...view } = client
    assert.equal(client_secret, null)
    const read = await call(app, 'GET', '/admin/clients/web', { token: admin.token })
    assert.deepEqual(read.json(), view)
    const { client_id: _, ...expected } = body
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(view[key as keyof typeof view], value, key)
    }
    assert.deepEqual(await listClients(app, admin.token), [view])
  })

  it('answers a taken client_id with 409 client_taken, keeping the first client', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const first = await created(app, admin.token, billing)
    const again = await createClient(app, admin.token, { ...billing, name: 'Impostor' })
    assertError(again, 409, 'client_taken')
    assert.equal((await listClients(app, admin.token)).length, 1)
    const read = await call(app, 'GET', '/admin/clients/billing', { token: admin.token })
    assert.equal(read.json().name, 'Billing service')
    assert.equal((await clientToken(app, 'billing', first.client_secret ?? '')).statusCode, 200)
  })

  it('refuses bad registrations with 400, registering nothing', async (t) => {
    const code = {
      client_id: 'web',
      name: 'Web app',
      confidential: true,
      grant_types: ['authorization_code'],
      scopes: [],
      redirect_uris: ['https://a.example/cb'],
    }
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const bad: Array<[string, unknown, string]> = [
      ['unknown grant type', { ...billing, grant_types: ['implicit'] }, 'invalid_request'],
      ['no grant type', { ...billing, grant_types: [] }, 'invalid_request'],
      [
        'client_credentials on a public client',
        { ...billing, confidential: false },
        'invalid_request',
      ],
      [
        'client_credentials among others on a public client',
        { ...billing, confidential: false, grant_types: ['password', 'client_credentials'] },
        'invalid_request',
      ],
      ['unknown scope', { ...billing, scopes: ['profile', 'root'] }, 'invalid_request'],
      ['empty name', { ...billing, name: '   ' }, 'invalid_request'],
      ['bad client_id', { ...billing, client_id: 'has space' }, 'invalid_request'],
      ['the built-in client_id', { ...billing, client_id: 'portcullis' }, 'invalid_request'],
      ['unknown field', { ...billing, secret: 'chosen' }, 'invalid_request'],
      ['missing confidential', { ...billing, confidential: undefined }, 'invalid_request'],
      [
        'grant types not an array',
        { ...billing, grant_types: 'client_credentials' },
        'invalid_request',
      ],
      [
        'authorization_code without redirect URI',
        { ...code, redirect_uris: [] },
        'invalid_request',
      ],
      [
        'redirect URI with a fragment',
        { ...code, redirect_uris: ['https://a.example/#f'] },
        'invalid_request',
      ],
      [
        'plain http redirect URI',
        { ...code, redirect_uris: ['http://a.example/cb'] },
        'invalid_request',
      ],
      [
        'wildcard redirect URI',
        { ...code, redirect_uris: ['https://*.a.example/'] },
        'invalid_request',
      ],
      [
        'userinfo in redirect URI',
        { ...code, redirect_uris: ['https://u@a.example/'] },
        'invalid_request',
      ],
      ['relative redirect URI', { ...code, redirect_uris: ['/cb'] }, 'invalid_request'],
      [
        'redirect URI too long',
        { ...code, redirect_uris: [`https://a.example/${'x'.repeat(2000)}`] },
        'invalid_request',
      ],
      ['redirect URI not a string', { ...code, redirect_uris: [42] }, 'invalid_request'],
      [
        '21 redirect URIs',
        { ...code, redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) },
        'invalid_request',
      ],
      [
        'bad post-logout URI',
        { ...code, post_logout_redirect_uris: ['http://a.example/'] },
        'invalid_request',
      ],
      [
        'redirect URIs without the code grant',
        { ...billing, redirect_uris: ['https://a.example/cb'] },
        'invalid_request',
      ],
      ['unconfigured resource', { ...code, resource: 'https://api.example/' }, 'invalid_request'],
      ['first_party not a boolean', { ...code, first_party: 'yes' }, 'invalid_request'],
    ]
    for (const [label, body, code] of bad) {
      const res = await createClient(app, admin.token, body)
      assert.equal(res.statusCode, 400, `${label}: ${res.body}`)
      assertError(res, 400, code)
    }
    assert.deepEqual(await listClients(app, admin.token), [])
  })
})

describe('GET /admin/clients', () => {
  it('lists registered clients in client_id order, without the built-in one; reads one; 404 for unknown', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    await created(app, admin.token, { ...billing, client_id: 'zeta' })
    await created(app, admin.token, { ...billing, client_id: 'alpha', introspect: true })
    await created(app, admin.token, {
      client_id: 'mid',
      name: 'Mid',
      confidential: false,
      grant_types: ['password'],
      scopes: ['profile'],
    })
    const list = await listClients(app, admin.token)
    assert.deepEqual(
      list.map((c) => c.client_id),
      ['alpha', 'mid', 'zeta'],
    )
    assert.deepEqual(
      list.map((c) => [c.confidential, c.introspect]),
      [
        [true, true],
        [false, false],
        [true, false],
      ],
    )
    const read = await call(app, 'GET', '/admin/clients/mid', { token: admin.token })
    assert.equal(read.statusCode, 200, read.body)
    assert.deepEqual(read.json(), list[1])
    assertError(
      await call(app, 'GET', '/admin/clients/unknown', { token: admin.token }),
      404,
      'not_found',
    )
    // The built-in client is not a registered one.
    assertError(
      await call(app, 'GET', '/admin/clients/portcullis', { token: admin.token }),
      404,
      'not_found',
    )
  })
})

describe('POST /admin/clients/:id/secret', () => {
  it('rotates the secret: the old one stops at once, the new one works', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const client = await created(app, admin.token, billing)
    const old = client.client_secret ?? ''
    assert.equal((await clientToken(app, 'billing', old)).statusCode, 200)
    const res = await call(app, 'POST', '/admin/clients/billing/secret', { token: admin.token })
    assert.equal(res.statusCode, 200, res.body)
    assert.match(String(res.headers['cache-control']), /no-store/)
    assert.deepEqual(Object.keys(res.json()), ['client_secret'])
    const fresh = res.json().client_secret as string
    assert.notEqual(fresh, old)
    assertInvalidClient(await clientToken(app, 'billing', old))
    assert.equal((await clientToken(app, 'billing', fresh)).statusCode, 200)
    const read = await call(app, 'GET', '/admin/clients/billing', { token: admin.token })
    assert.ok(!read.body.includes(fresh))
    assertError(
      await call(app, 'POST', '/admin/clients/unknown/secret', { token: admin.token }),
      404,
      'not_found',
    )
  })
})

describe('DELETE /admin/clients/:id', () => {
  it('deletes the client: its client_credentials token introspects as inactive, its secret stops', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const client = await created(app, admin.token, billing)
    const secret = client.client_secret ?? ''
    const checker = await created(app, admin.token, {
      client_id: 'resource-server',
      name: 'Resource server',
      confidential: true,
      grant_types: ['client_credentials'],
      scopes: [],
      introspect: true,
    })
    const checkerSecret = checker.client_secret ?? ''
    const issued = await clientToken(app, 'billing', secret)
    assert.equal(issued.statusCode, 200, issued.body)
    const token = issued.json().access_token as string

    const before = await introspect(app, 'resource-server', checkerSecret, token)
    assert.equal(before.statusCode, 200, before.body)
    assert.equal(before.json().active, true)
    assert.equal(before.json().client_id, 'billing')
    assert.equal(before.json().sub, 'billing')
    assert.equal(before.json().scope, 'email')
    // Introspection needs the permission.
    assertError(await introspect(app, 'billing', secret, token), 403, 'access_denied')

    assertNoContent(await call(app, 'DELETE', '/admin/clients/billing', { token: admin.token }))
    const after = await introspect(app, 'resource-server', checkerSecret, token)
    assert.equal(after.statusCode, 200, after.body)
    assert.deepEqual(after.json(), { active: false })
    assertInvalidClient(await clientToken(app, 'billing', secret))
    assertError(
      await call(app, 'GET', '/admin/clients/billing', { token: admin.token }),
      404,
      'not_found',
    )
    assertError(
      await call(app, 'DELETE', '/admin/clients/billing', { token: admin.token }),
      404,
      'not_found',
    )
    assert.deepEqual(
      (await listClients(app, admin.token)).map((c) => c.client_id),
      ['resource-server'],
    )
  })

  it('does not revive a deleted client’s tokens when its client_id is registered again', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const client = await created(app, admin.token, billing)
    const checker = await created(app, admin.token, {
      client_id: 'resource-server',
      name: 'Resource server',
      confidential: true,
      grant_types: ['client_credentials'],
      scopes: [],
      introspect: true,
    })
    const checkerSecret = checker.client_secret ?? ''
    const issued = await clientToken(app, 'billing', client.client_secret ?? '')
    const token = issued.json().access_token as string
    assertNoContent(await call(app, 'DELETE', '/admin/clients/billing', { token: admin.token }))
    assert.deepEqual((await introspect(app, 'resource-server', checkerSecret, token)).json(), {
      active: false,
    })
    // Later, the id is registered again, perhaps for someone else: the old token must stay dead.
    testApp.clock.advance(60_000)
    const reborn = await created(app, admin.token, { ...billing, name: 'Someone else' })
    assert.notEqual(reborn.client_secret, client.client_secret)
    assert.deepEqual((await introspect(app, 'resource-server', checkerSecret, token)).json(), {
      active: false,
    })
  })

  it('ends every session started through a deleted public client, and only those', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    await created(app, admin.token, {
      client_id: 'mobile-app',
      name: 'Mobile app',
      confidential: false,
      grant_types: ['password', 'refresh_token'],
      scopes: ['profile', 'sessions'],
    })
    await registerUser(app, 'alice')
    const viaClient = await loginPair(app, 'alice', { client_id: 'mobile-app' })
    const viaBuiltin = await loginPair(app, 'alice')
    assert.equal((await getMe(app, `Bearer ${viaClient.access_token}`)).statusCode, 200)

    assertNoContent(await call(app, 'DELETE', '/admin/clients/mobile-app', { token: admin.token }))
    assertInvalidToken(await getMe(app, `Bearer ${viaClient.access_token}`))
    // Its refresh token is refused whether the (gone) client names itself or not.
    assertClientError(
      await refresh(app, viaClient.refresh_token, { client_id: 'mobile-app' }),
      'refresh through the deleted client',
    )
    assertError(await refresh(app, viaClient.refresh_token), 400, 'invalid_grant')
    assertInvalidClient(
      await postToken(app, { username: 'alice', password: PASSWORD, client_id: 'mobile-app' }),
    )
    // The session through the built-in client and the admin's own are untouched.
    assert.equal((await getMe(app, `Bearer ${viaBuiltin.access_token}`)).statusCode, 200)
    assert.equal((await listClients(app, admin.token)).length, 0)
  })

  it('deletes every user’s consent to the deleted client', async (t) => {
    const testApp = await buildTestApp(t)
    const { app, services } = testApp
    const admin = await adminLogin(testApp)
    const body = {
      client_id: 'web',
      name: 'Web app',
      confidential: false,
      grant_types: ['authorization_code'],
      scopes: ['profile'],
      redirect_uris: ['https://app.example/cb'],
    }
    await created(app, admin.token, body)
    const alice = await registerUser(app, 'alice')
    await services.store.consents.grant(alice.id, 'web', ['profile'], '2026-06-01T12:00:00.000Z')
    assertNoContent(await call(app, 'DELETE', '/admin/clients/web', { token: admin.token }))
    await created(app, admin.token, body)
    assert.equal(await services.store.consents.find(alice.id, 'web'), null, 'not inherited')
  })
})

describe('bad client ids', () => {
  it('answer 4xx in the one error shape, never 5xx', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const long = 'c'.repeat(65)
    const requests: Array<['GET' | 'POST' | 'DELETE', string]> = [
      ['GET', `/admin/clients/${long}`],
      ['POST', `/admin/clients/${long}/secret`],
      ['DELETE', `/admin/clients/${long}`],
      ['GET', '/admin/clients/%C3%28'],
      ['GET', '/admin/clients/a%00b'],
      ['POST', '/admin/clients/a%00b/secret'],
      ['DELETE', '/admin/clients/a%00b'],
    ]
    for (const [method, url] of requests) {
      assertClientError(await call(app, method, url, { token: admin.token }), `${method} ${url}`)
    }
    const nul = await createClient(app, admin.token, { ...billing, client_id: 'a\u0000b' })
    assertClientError(nul, 'NUL in client_id')
    const nulName = await createClient(app, admin.token, {
      ...billing,
      client_id: undefined,
      name: 'a\u0000b',
    })
    assert.ok(nulName.statusCode < 500, `NUL in name: ${nulName.statusCode} ${nulName.body}`)
  })
})
