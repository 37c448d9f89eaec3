import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import Fastify from 'fastify'
import { claimsOf, createVerifier, portcullisAuth } from '../../src/verify/index.js'
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

async function notesApp(t: TestContext, key: TestKey) {
  const jwks = await startJwksServer(t, [key])
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.url,
    now: clockAt(NOW + 1),
  })
  const app = Fastify()
  t.after(() => app.close())
  await app.register(portcullisAuth, { verifier, realm: 'notes' })
  app.get('/me', { preHandler: app.requireScopes() }, async (request) => ({
    sub: claimsOf(request).sub,
  }))
  app.post('/notes', { preHandler: app.requireScopes('notes:write') }, async () => ({ ok: true }))
  app.get('/open', async (request) => ({ auth: (request as unknown as { auth: unknown }).auth }))
  return app
}

describe('the portcullisAuth Fastify plugin', () => {
  it('sets request.auth for a valid token and leaves other routes alone', async (t) => {
    const key = await makeKey()
    const app = await notesApp(t, key)
    const token = await sign(key)
    const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    assert.equal(me.statusCode, 200)
    assert.deepEqual(me.json(), { sub: 'user-1' })
    const open = await app.inject({ url: '/open' })
    assert.deepEqual(open.json(), { auth: null })
  })

  it('answers 401 without credentials: bare challenge, {error, error_description}', async (t) => {
    const app = await notesApp(t, await makeKey())
    const res = await app.inject({ url: '/me' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="notes"')
    assert.equal(res.json().error, 'unauthorized')
  })

  it('answers 401 invalid_token for an invalid token', async (t) => {
    const key = await makeKey()
    const app = await notesApp(t, key)
    const expired = await sign(key, portcullisClaims({ exp: NOW }))
    const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${expired}` } })
    assert.equal(res.statusCode, 401)
    assert.equal(
      res.headers['www-authenticate'],
      'Bearer realm="notes", error="invalid_token", error_description="the access token expired"',
    )
    assert.deepEqual(res.json(), {
      error: 'invalid_token',
      error_description: 'the access token expired',
    })
  })

  it('answers 403 insufficient_scope with the scope parameter', async (t) => {
    const key = await makeKey()
    const app = await notesApp(t, key)
    const token = await sign(key)
    const res = await app.inject({
      method: 'POST',
      url: '/notes',
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(
      res.headers['www-authenticate'],
      'Bearer realm="notes", error="insufficient_scope", error_description="the access token lacks the scope notes:write", scope="notes:write"',
    )
    assert.equal(res.json().error, 'insufficient_scope')
    const writer = await sign(key, portcullisClaims({ scope: 'notes:write' }))
    const ok = await app.inject({
      method: 'POST',
      url: '/notes',
      headers: { authorization: `Bearer ${writer}` },
    })
    assert.equal(ok.statusCode, 200)
  })

  it('answers 400 invalid_request for two Authorization headers', async (t) => {
    const key = await makeKey()
    const app = await notesApp(t, key)
    const token = await sign(key)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const { request } = await import('node:http')
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/me',
        headers: [
          ['Authorization', `Bearer ${token}`],
          ['Authorization', `Bearer ${token}`],
        ].flat(),
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode)
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(status, 400)
  })
})
