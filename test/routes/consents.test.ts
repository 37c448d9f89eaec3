import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { adminLogin, buildTestApp, getMe, registerUser, type TestApp } from '../helpers.js'
import {
  assertClientError,
  assertError,
  assertInvalidToken,
  assertNoContent,
  call,
  loginPair,
  refresh,
} from './admin-support.js'

const AT = '2026-06-01T12:00:00.000Z'

/** An app with the third-party client `web`, and alice and bob who allowed it and use it. */
async function setup(t: TestContext) {
  const testApp = await buildTestApp(t)
  const { app, services } = testApp
  await services.clients.create(
    {
      id: 'web',
      name: 'Web app',
      confidential: false,
      grantTypes: ['authorization_code', 'password', 'refresh_token'],
      scopes: ['profile', 'sessions'],
      redirectUris: ['https://app.example/cb'],
    },
    { id: 'test' },
  )
  const alice = await registerUser(app, 'alice')
  const bob = await registerUser(app, 'bob')
  for (const user of [alice, bob]) {
    await services.store.consents.grant(user.id, 'web', ['profile', 'openid'], AT)
  }
  const viaWeb = await loginPair(app, 'alice', { client_id: 'web' })
  const bobViaWeb = await loginPair(app, 'bob', { client_id: 'web' })
  // Alice's own session, through the built-in client, manages her consents.
  const own = await loginPair(app, 'alice')
  return { testApp, alice, bob, viaWeb, bobViaWeb, own }
}

const consentsOf = (app: TestApp['app'], token: string) =>
  call(app, 'GET', '/users/me/consents', { token })

async function revocations({ services }: TestApp, userId: string) {
  return services.audit.list({ userId, type: 'consent.revoke', limit: 10 })
}

describe('GET /users/me/consents and DELETE /users/me/consents/{client_id}', () => {
  it('lists the user’s consents; revoking one ends the client’s sessions of that user only', async (t) => {
    const { testApp, alice, viaWeb, bobViaWeb, own } = await setup(t)
    const { app } = testApp
    const listed = await consentsOf(app, own.access_token)
    assert.equal(listed.statusCode, 200, listed.body)
    assert.deepEqual(listed.json(), [
      {
        client_id: 'web',
        client_name: 'Web app',
        scopes: ['openid', 'profile'],
        created_at: AT,
        updated_at: AT,
      },
    ])

    const revoked = await call(app, 'DELETE', '/users/me/consents/web', { token: own.access_token })
    assertNoContent(revoked)
    assert.deepEqual((await consentsOf(app, own.access_token)).json(), [])
    // The client's access and refresh tokens stop at once.
    assertInvalidToken(await getMe(app, `Bearer ${viaWeb.access_token}`))
    assertError(
      await refresh(app, viaWeb.refresh_token, { client_id: 'web' }),
      400,
      'invalid_grant',
    )
    // Her own session and bob's through the client are untouched, and bob's consent stays.
    assert.equal((await getMe(app, `Bearer ${own.access_token}`)).statusCode, 200)
    assert.equal((await getMe(app, `Bearer ${bobViaWeb.access_token}`)).statusCode, 200)
    assert.equal((await consentsOf(app, bobViaWeb.access_token)).json().length, 1)

    const [record, ...more] = await revocations(testApp, alice.id)
    assert.deepEqual(more, [])
    assert.equal(record?.clientId, 'web')
    assert.equal(record?.actorId, alice.id)
    assert.equal(record?.outcome, 'success')

    assertError(
      await call(app, 'DELETE', '/users/me/consents/web', { token: own.access_token }),
      404,
      'not_found',
    )
    assertError(
      await call(app, 'DELETE', '/users/me/consents/other', { token: own.access_token }),
      404,
      'not_found',
    )
    assert.equal((await revocations(testApp, alice.id)).length, 1, 'a 404 records nothing')
  })

  it('needs the sessions scope and a token', async (t) => {
    const { testApp, viaWeb } = await setup(t)
    const { app } = testApp
    const narrow = await loginPair(app, 'alice', { scope: 'profile' })
    for (const [method, url] of [
      ['GET', '/users/me/consents'],
      ['DELETE', '/users/me/consents/web'],
    ] as const) {
      assertError(
        await call(app, method, url, { token: narrow.access_token }),
        403,
        'insufficient_scope',
      )
      assertInvalidToken(await call(app, method, url, { token: 'not-a-token' }))
    }
    assert.equal((await getMe(app, `Bearer ${viaWeb.access_token}`)).statusCode, 200, 'kept')
  })

  it('answers bad client ids with 4xx in the one error shape', async (t) => {
    const { testApp, own } = await setup(t)
    for (const id of ['c'.repeat(65), 'a%00b', '%C3%28']) {
      const res = await call(testApp.app, 'DELETE', `/users/me/consents/${id}`, {
        token: own.access_token,
      })
      assertClientError(res, id)
    }
  })
})

describe('GET and DELETE /admin/users/{id}/consents', () => {
  it('lists and revokes a user’s consent, ending the client’s sessions of the user', async (t) => {
    const { testApp, alice, viaWeb, bobViaWeb } = await setup(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const listed = await call(app, 'GET', `/admin/users/${alice.id}/consents`, {
      token: admin.token,
    })
    assert.equal(listed.statusCode, 200, listed.body)
    assert.deepEqual(
      listed.json().map((c: { client_id: string; scopes: string[] }) => [c.client_id, c.scopes]),
      [['web', ['openid', 'profile']]],
    )
    assertNoContent(
      await call(app, 'DELETE', `/admin/users/${alice.id}/consents/web`, { token: admin.token }),
    )
    assertInvalidToken(await getMe(app, `Bearer ${viaWeb.access_token}`))
    assert.equal((await getMe(app, `Bearer ${bobViaWeb.access_token}`)).statusCode, 200)
    const [record] = await revocations(testApp, alice.id)
    assert.equal(record?.actorId, admin.id)
    assert.equal(record?.clientId, 'web')
    assertError(
      await call(app, 'DELETE', `/admin/users/${alice.id}/consents/web`, { token: admin.token }),
      404,
      'not_found',
    )
  })

  it('answers 404 for an unknown user, and 403 without admin', async (t) => {
    const { testApp, alice, own } = await setup(t)
    const { app } = testApp
    const admin = await adminLogin(testApp)
    const nobody = '00000000-0000-4000-8000-00000000dead'
    assertError(
      await call(app, 'GET', `/admin/users/${nobody}/consents`, { token: admin.token }),
      404,
      'not_found',
    )
    assertError(
      await call(app, 'DELETE', `/admin/users/${nobody}/consents/web`, { token: admin.token }),
      404,
      'not_found',
    )
    for (const [method, url] of [
      ['GET', `/admin/users/${alice.id}/consents`],
      ['DELETE', `/admin/users/${alice.id}/consents/web`],
    ] as const) {
      assertError(
        await call(app, method, url, { token: own.access_token }),
        403,
        'insufficient_scope',
      )
    }
    assert.equal((await consentsOf(app, own.access_token)).json().length, 1, 'nothing revoked')
  })
})
