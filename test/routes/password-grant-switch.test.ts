import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { basic, buildTestApp, createClient, PASSWORD, postToken, registerUser } from '../helpers.js'

const off = { PORTCULLIS_PASSWORD_GRANT: 'false' }
const turnedOff = {
  error: 'unsupported_grant_type',
  error_description:
    'the password grant is turned off on this server: sign in with the authorization code flow with PKCE (GET /authorize) instead',
}

describe('PORTCULLIS_PASSWORD_GRANT', () => {
  for (const [label, form] of [
    ['grant_type=password', { grant_type: 'password' }],
    ['an omitted grant_type', {}],
    ['an empty grant_type', { grant_type: '' }],
  ] as const) {
    it(`false: ${label} answers 400 unsupported_grant_type, before any password work`, async (t) => {
      const { app, services } = await buildTestApp(t, { env: off })
      const user = await registerUser(app, 'alice')
      for (const password of [PASSWORD, 'not the password at all']) {
        const res = await postToken(app, { ...form, username: 'alice', password })
        assert.equal(res.statusCode, 400)
        assert.equal(res.headers['cache-control'], 'no-store')
        assert.deepEqual(res.json(), turnedOff)
      }
      assert.deepEqual(await services.sessions.listLive(user.id), [])
      assert.deepEqual(await services.audit.list({ type: 'login.failure', limit: 10 }), [])
      assert.deepEqual(await services.audit.list({ type: 'login.success', limit: 10 }), [])
    })
  }

  it('false: a registered client allowed the password grant is refused the same way, even with a wrong secret', async (t) => {
    const test = await buildTestApp(t, { env: off })
    await registerUser(test.app, 'alice')
    const { client, secret } = await createClient(test, {
      id: 'legacy',
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile'],
    })
    for (const auth of [basic(client.id, secret ?? ''), basic(client.id, 'wrong')]) {
      const res = await postToken(
        test.app,
        { grant_type: 'password', username: 'alice', password: PASSWORD },
        { authorization: auth },
      )
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), turnedOff)
    }
  })

  it('false: the refresh and client_credentials grants still work', async (t) => {
    const test = await buildTestApp(t, { env: off })
    const { app, services } = test
    const user = await registerUser(app, 'alice')
    // A session from elsewhere (as the authorization code flow starts one).
    const { refreshToken } = await services.sessions.start(
      user.id,
      services.clients.builtin.id,
      'profile',
      { ip: '192.0.2.1', userAgent: null },
    )
    const refreshed = await postToken(app, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    assert.equal(refreshed.json().scope, 'profile')
    const { client, secret } = await createClient(test, { id: 'machine' })
    const machine = await postToken(
      app,
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(machine.statusCode, 200, machine.body)
  })

  for (const value of [undefined, 'true']) {
    it(`${value ?? 'unset'}: the password grant works, with or without grant_type`, async (t) => {
      const env: Record<string, string> =
        value === undefined ? {} : { PORTCULLIS_PASSWORD_GRANT: value }
      const { app } = await buildTestApp(t, { env })
      await registerUser(app, 'alice')
      for (const form of [{ grant_type: 'password' }, {}] as Record<string, string>[]) {
        const res = await postToken(app, { ...form, username: 'alice', password: PASSWORD })
        assert.equal(res.statusCode, 200, res.body)
      }
    })
  }
})
