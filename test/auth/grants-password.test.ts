import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliActor } from '../../src/auth/audit.js'
import { grantHarness, PASSWORD, rejectsWith } from './grants-support.js'

const limitsOn = { PORTCULLIS_RATE_LIMITS: 'true' }

describe('TokenGrants: grant types', () => {
  it('reads an omitted or empty grant_type as password and refuses unknown ones', async (t) => {
    const { services } = await grantHarness(t)
    assert.equal(services.grants.grantType(undefined), 'password')
    assert.equal(services.grants.grantType(''), 'password')
    assert.equal(services.grants.grantType('refresh_token'), 'refresh_token')
    assert.equal(services.grants.grantType('authorization_code'), 'authorization_code')
    for (const type of ['implicit', 'token', '__proto__', 'toString', 'PASSWORD']) {
      assert.throws(
        () => services.grants.grantType(type),
        (e: { code?: string }) => e.code === 'unsupported_grant_type',
        type,
      )
    }
  })

  it('refuses a grant type the client may not use with unauthorized_client', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const { client } = await h.services.clients.create(
      { name: 'refresh only', confidential: false, grantTypes: ['refresh_token'], scopes: [] },
      cliActor,
    )
    const form = { username: 'alice', password: PASSWORD }
    await rejectsWith(
      h.services.grants.issue('password', form, h.context(client)),
      'unauthorized_client',
    )
    assert.deepEqual(await h.audit('login.failure'), [])
  })
})

describe('TokenGrants: password grant', () => {
  it('starts a session, returns the default scopes and records login.success', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const body = await h.services.grants.issue(
      'password',
      { username: 'ALICE', password: PASSWORD },
      h.context(),
    )
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, h.services.config.tokens.ttlSeconds)
    assert.equal(body.scope, 'profile sessions email')
    assert.equal(typeof body.refresh_token, 'string')
    assert.equal(body.device_token, undefined, 'no device token while limits are off')
    const claims = await h.services.tokens.verify(body.access_token)
    assert.equal(claims.sub, id)
    const [session] = await h.services.sessions.listLive(id)
    assert.equal(claims.sid, session?.id)
    assert.deepEqual(await h.audit('login.success'), [
      {
        userId: id,
        ip: '192.0.2.10',
        detail: { session_id: session?.id, scope: 'profile sessions email' },
      },
    ])
  })

  it('logs in by email too', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice', { email: 'alice@example.com' })
    const form = { username: 'Alice@Example.COM', password: PASSWORD, scope: 'profile' }
    const body = await h.services.grants.issue('password', form, h.context())
    assert.equal(body.scope, 'profile')
  })

  for (const [label, form, description] of [
    ['no username', { password: PASSWORD }, /"username" is required/],
    ['an empty username', { username: '', password: PASSWORD }, /"username" is required/],
    ['no password', { username: 'alice' }, /"password" is required/],
    ['an empty password', { username: 'alice', password: '' }, /"password" is required/],
  ] as const) {
    it(`answers ${label} with invalid_request`, async (t) => {
      const h = await grantHarness(t)
      await h.register('alice')
      await rejectsWith(
        h.services.grants.issue('password', form, h.context()),
        'invalid_request',
        description,
      )
    })
  }

  it('answers a wrong password and an unknown user alike, recording why', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const wrong = { username: 'alice', password: 'not the password' }
    const unknown = { username: 'bob', password: PASSWORD }
    for (const form of [wrong, unknown]) {
      await rejectsWith(
        h.services.grants.issue('password', form, h.context()),
        'invalid_grant',
        /^invalid username or password$/,
      )
    }
    assert.deepEqual(await h.audit('login.failure'), [
      { userId: id, ip: '192.0.2.10', detail: { reason: 'bad_password' } },
      { userId: null, ip: '192.0.2.10', detail: { reason: 'unknown_user' } },
    ])
    assert.deepEqual(await h.services.sessions.listLive(id), [])
  })

  it('refuses a disabled user with the same invalid_grant', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    await h.services.userAdmin.setDisabled(id, true, cliActor)
    const form = { username: 'alice', password: PASSWORD }
    await rejectsWith(h.services.grants.issue('password', form, h.context()), 'invalid_grant')
    assert.deepEqual((await h.audit('login.failure')).at(-1)?.detail, { reason: 'disabled' })
  })

  it('gives a client without the refresh_token grant no refresh token', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const { client } = await h.services.clients.create(
      { name: 'cli', confidential: false, grantTypes: ['password'], scopes: ['profile'] },
      cliActor,
    )
    const form = { username: 'alice', password: PASSWORD }
    const body = await h.services.grants.issue('password', form, h.context(client))
    assert.equal(body.refresh_token, undefined)
    assert.equal(body.scope, 'profile')
  })
})

describe('TokenGrants: password grant scopes', () => {
  it('refuses an unknown scope before any password work', async (t) => {
    // Limits on with one failure allowed per account and IP: a counted attempt would block.
    const h = await grantHarness(t, { ...limitsOn, PORTCULLIS_LOGIN_DELAY_AFTER: '1' })
    await h.register('alice')
    const form = { username: 'alice', password: 'wrong', scope: 'profile write:all' }
    await rejectsWith(
      h.services.grants.issue('password', form, h.context()),
      'invalid_scope',
      /^unknown scope: write:all$/,
    )
    assert.deepEqual(await h.audit('login.failure'), [])
    const ok = { username: 'alice', password: PASSWORD }
    assert.equal((await h.services.grants.issue('password', ok, h.context())).token_type, 'Bearer')
  })

  it('refuses a scope the client does not allow before any password work', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const { client } = await h.services.clients.create(
      { name: 'app', confidential: false, grantTypes: ['password'], scopes: ['profile'] },
      cliActor,
    )
    const form = { username: 'alice', password: 'wrong', scope: 'sessions' }
    await rejectsWith(
      h.services.grants.issue('password', form, h.context(client)),
      'invalid_scope',
      /^scope not permitted: sessions$/,
    )
    assert.deepEqual(await h.audit('login.failure'), [])
  })

  it("refuses a scope the user's roles do not grant only after the password", async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const wrong = { username: 'alice', password: 'wrong', scope: 'profile admin' }
    await rejectsWith(h.services.grants.issue('password', wrong, h.context()), 'invalid_grant')
    const right = { username: 'alice', password: PASSWORD, scope: 'profile admin' }
    await rejectsWith(
      h.services.grants.issue('password', right, h.context()),
      'invalid_scope',
      /^scope not permitted: admin$/,
    )
    assert.deepEqual(await h.services.sessions.listLive(id), [])
    assert.deepEqual(await h.audit('login.success'), [])
  })

  it('grants an admin the admin scope only when asked for', async (t) => {
    const h = await grantHarness(t)
    await h.register('root', { roles: ['user', 'admin'] })
    const asked = { username: 'root', password: PASSWORD, scope: 'admin profile admin' }
    assert.equal(
      (await h.services.grants.issue('password', asked, h.context())).scope,
      'admin profile',
    )
    const omitted = { username: 'root', password: PASSWORD, scope: ' ' }
    const body = await h.services.grants.issue('password', omitted, h.context())
    assert.equal(body.scope, 'profile sessions email')
  })
})
