import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import Fastify from 'fastify'
import {
  claimsOf,
  createVerifier,
  portcullisAuth,
  type TokenSubject,
  type VerifierOptions,
  verifyRequest,
} from '../../src/verify/index.js'
import { assertInvalidToken } from './assertions.js'
import {
  AUDIENCE,
  clockAt,
  ISSUER,
  makeKey,
  NOW,
  portcullisClaims,
  sign,
  startJwksServer,
  type TestKey,
} from './jwks-server.js'

/** A client_credentials token as Portcullis issues it: no sid, sub = the client id. */
const machineClaims = () =>
  portcullisClaims({ sub: 'reports', client_id: 'reports', scope: 'notes:read', sid: undefined })

async function setup(t: TestContext, extra: Partial<VerifierOptions> = {}) {
  const key = await makeKey()
  const jwks = await startJwksServer(t, [key])
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.url,
    now: clockAt(NOW + 1),
    ...extra,
  } as VerifierOptions)
  return { key, verifier, user: await sign(key), machine: await sign(key, machineClaims()) }
}

describe('whose tokens the verifier accepts (subject)', () => {
  it('refuses a client_credentials token (no sid) by default, and accepts a user token', async (t) => {
    const { verifier, user, machine } = await setup(t)
    assert.equal((await verifier.verify(user)).sub, 'user-1')
    await assertInvalidToken(verifier.verify(machine), /needs a user's access token/)
    await assertInvalidToken(verifier.verify(machine, {}), /needs a user's access token/)
  })

  it("accepts only client tokens with subject 'client', and both with 'any'", async (t) => {
    const { verifier, user, machine } = await setup(t)
    assert.equal((await verifier.verify(machine, { subject: 'client' })).sub, 'reports')
    await assertInvalidToken(
      verifier.verify(user, { subject: 'client' }),
      /needs a client's access token/,
    )
    assert.equal((await verifier.verify(machine, { subject: 'any' })).sub, 'reports')
    assert.equal((await verifier.verify(user, { subject: 'any' })).sub, 'user-1')
  })

  it('checks the kind on every call: a machine route caching a token opens no user route', async (t) => {
    const { verifier, machine, user } = await setup(t)
    assert.equal((await verifier.verify(machine, { subject: 'client' })).sub, 'reports')
    await assertInvalidToken(verifier.verify(machine), /needs a user's access token/)
    assert.equal((await verifier.verify(user, { subject: 'any' })).sub, 'user-1')
    await assertInvalidToken(verifier.verify(user, { subject: 'client' }), /client's/)
  })

  it('takes a verifier-wide default, still overridable per call', async (t) => {
    const { verifier, user, machine } = await setup(t, { subject: 'client' })
    assert.equal((await verifier.verify(machine)).sub, 'reports')
    await assertInvalidToken(verifier.verify(user), /needs a client's access token/)
    assert.equal((await verifier.verify(user, { subject: 'user' })).sub, 'user-1')
  })

  it('refuses an unknown subject at creation and per call, and an empty sid', async (t) => {
    const { verifier, key } = await setup(t)
    assert.throws(
      () =>
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          secret: 'x'.repeat(32),
          subject: 'machine' as TokenSubject,
        }),
      /subject must be one of user, client, any/,
    )
    await assert.rejects(
      verifier.verify(await sign(key), { subject: 'users' as TokenSubject }),
      TypeError,
    )
    await assertInvalidToken(verifier.verify(await sign(key, portcullisClaims({ sid: '' }))), /sid/)
  })

  it('passes the subject through verifyRequest', async (t) => {
    const { verifier, machine } = await setup(t)
    const request = { headers: { authorization: `Bearer ${machine}` } }
    await assertInvalidToken(verifyRequest(verifier, request), /user's/)
    const claims = await verifyRequest(verifier, request, { subject: 'client' })
    assert.equal(claims.client_id, 'reports')
  })
})

async function pluginApp(t: TestContext, key: TestKey) {
  const jwks = await startJwksServer(t, [key])
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.url,
    now: clockAt(NOW + 1),
  })
  const app = Fastify()
  t.after(() => app.close())
  await app.register(portcullisAuth, { verifier })
  const sub = async (request: Parameters<typeof claimsOf>[0]) => ({ sub: claimsOf(request).sub })
  app.get('/notes', { preHandler: app.requireScopes('notes:read') }, sub)
  app.get('/default', { preHandler: app.requireToken({ scopes: ['notes:read'] }) }, sub)
  app.get(
    '/stats',
    { preHandler: app.requireToken({ subject: 'client', scopes: ['notes:read'] }) },
    sub,
  )
  app.get('/either', { preHandler: app.requireToken({ subject: 'any' }) }, sub)
  return app
}

describe('the Fastify plugin and machine tokens', () => {
  it('keeps machine tokens off user routes and lets them onto routes that say so', async (t) => {
    const key = await makeKey()
    const app = await pluginApp(t, key)
    const user = `Bearer ${await sign(key)}`
    const machine = `Bearer ${await sign(key, machineClaims())}`
    const get = (url: string, authorization: string) =>
      app.inject({ url, headers: { authorization } })
    for (const url of ['/notes', '/default']) {
      const res = await get(url, machine)
      assert.equal(res.statusCode, 401, url)
      assert.equal(res.json().error, 'invalid_token')
      assert.match(
        String(res.headers['www-authenticate']),
        /^Bearer realm="notes-api", error="invalid_token", error_description="this endpoint needs a user's access token"$/,
      )
      assert.deepEqual((await get(url, user)).json(), { sub: 'user-1' })
    }
    assert.deepEqual((await get('/stats', machine)).json(), { sub: 'reports' })
    const userOnStats = await get('/stats', user)
    assert.equal(userOnStats.statusCode, 401)
    assert.equal(userOnStats.json().error, 'invalid_token')
    assert.equal((await get('/either', machine)).statusCode, 200)
    assert.equal((await get('/either', user)).statusCode, 200)
  })

  it('checks scopes on machine routes too', async (t) => {
    const key = await makeKey()
    const app = await pluginApp(t, key)
    const claims = { ...machineClaims(), scope: 'other' }
    const res = await app.inject({
      url: '/stats',
      headers: { authorization: `Bearer ${await sign(key, claims)}` },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'insufficient_scope')
  })

  it('refuses an unknown subject when the route is declared', async (t) => {
    const app = await pluginApp(t, await makeKey())
    assert.throws(
      () => app.requireToken({ subject: 'machine' as TokenSubject }),
      /subject must be one of/,
    )
  })
})
