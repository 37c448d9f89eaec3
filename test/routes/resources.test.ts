import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { buildTestApp, ISSUER, PASSWORD, postToken, registerUser } from '../helpers.js'

const API = 'https://api.example.com/'
const OTHER = 'https://other.example.com/'
const env = { PORTCULLIS_RESOURCES: `${API} ${OTHER}` }

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const test = await buildTestApp(t, { env })
  const user = await registerUser(test.app, 'alice')
  return { ...test, user }
}

describe('the password grant with a resource (RFC 8707)', () => {
  it('issues a token whose aud is the resource and a session for that resource', async (t) => {
    const { app, services, user } = await setup(t)
    const res = await postToken(app, { username: 'alice', password: PASSWORD, resource: API })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    const claims = decodeJwt(body.access_token)
    assert.equal(claims.aud, API)
    assert.equal(claims.iss, ISSUER)
    assert.equal(claims.sub, user.id)
    assert.equal(body.scope, 'profile sessions email')
    const session = await services.sessions.findById(String(claims.sid))
    assert.equal(session?.resource, API)
  })

  it('without a resource, the token is for Portcullis as before', async (t) => {
    const { app, services } = await setup(t)
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 200)
    const claims = decodeJwt(res.json().access_token)
    assert.equal(claims.aud, ISSUER)
    assert.equal((await services.sessions.findById(String(claims.sid)))?.resource, null)
  })

  it('an empty resource counts as omitted (RFC 6749 §3.2)', async (t) => {
    const { app } = await setup(t)
    const res = await postToken(app, { username: 'alice', password: PASSWORD, resource: '' })
    assert.equal(res.statusCode, 200)
    assert.equal(decodeJwt(res.json().access_token).aud, ISSUER)
  })

  for (const resource of ['https://api.example.com', 'https://evil.example/', 'not a uri']) {
    it(`refuses the unconfigured resource "${resource}" with 400 invalid_target, before the password`, async (t) => {
      const { app, services, user } = await setup(t)
      // A wrong password too: the resource is refused first, with no password work or failure.
      for (const password of [PASSWORD, 'wrong password entirely']) {
        const res = await postToken(app, { username: 'alice', password, resource })
        assert.equal(res.statusCode, 400)
        assert.deepEqual(res.json(), {
          error: 'invalid_target',
          error_description: 'resource is not an API this server issues tokens for',
        })
      }
      assert.deepEqual(await services.sessions.listLive(user.id), [])
      assert.deepEqual(await services.audit.list({ type: 'login.failure', limit: 10 }), [])
    })
  }

  it('refuses every resource when PORTCULLIS_RESOURCES is unset', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const res = await postToken(app, { username: 'alice', password: PASSWORD, resource: API })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_target')
  })

  it('refuses the admin scope with a resource (400 invalid_scope), even for an admin', async (t) => {
    const { app, services, user } = await setup(t)
    await services.store.users.setRoles(user.id, ['user', 'admin'], new Date().toISOString())
    const res = await postToken(app, {
      username: 'alice',
      password: PASSWORD,
      scope: 'profile admin',
      resource: API,
    })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), {
      error: 'invalid_scope',
      error_description:
        'scope admin is only granted in tokens for this server, never with a resource',
    })
    assert.deepEqual(await services.sessions.listLive(user.id), [])
    // The same admin gets admin in a token for Portcullis itself.
    const own = await postToken(app, { username: 'alice', password: PASSWORD, scope: 'admin' })
    assert.equal(own.statusCode, 200)
    assert.equal(own.json().scope, 'admin')
  })

  it('a repeated resource is refused with 400 invalid_request (one audience per token)', async (t) => {
    const { app } = await setup(t)
    const form = new URLSearchParams({ username: 'alice', password: PASSWORD })
    form.append('resource', API)
    form.append('resource', OTHER)
    const res = await postToken(app, form.toString())
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_request')
  })
})
