import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { buildTestApp, login, registerUser } from '../helpers.js'

describe('GET /', () => {
  it('welcomes and links to the docs', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject('/')
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().docs, '/docs')
    assert.equal(res.json().openapi, '/openapi.json')
  })
})

describe('unknown routes', () => {
  it('answer 404 in the one error shape, with the security headers', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject('/nope?token=secret')
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), {
      error: 'not_found',
      error_description: 'no route for GET /nope',
    })
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
  })

  it('answer a malformed URL with 400 in the one error shape', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject('/users/me%zz')
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_request')
    assert.deepEqual(Object.keys(res.json()), ['error', 'error_description'])
  })

  it('answer a wrong method on a known path with 404 too', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'PATCH', url: '/users/me' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().error, 'not_found')
  })
})

describe('GET /healthz and /readyz', () => {
  it('report ok and ready', async (t) => {
    const { app } = await buildTestApp(t)
    assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' })
    assert.deepEqual((await app.inject('/readyz')).json(), { status: 'ready' })
  })

  it('report not ready (503) when the database is gone, while /healthz stays up', async (t) => {
    const { app, services } = await buildTestApp(t)
    await services.store.close()
    const ready = await app.inject('/readyz')
    assert.equal(ready.statusCode, 503)
    assert.equal(ready.json().error, 'temporarily_unavailable')
    assert.ok(ready.headers['retry-after'])
    assert.equal((await app.inject('/healthz')).statusCode, 200)
  })
})

describe('GET /.well-known/jwks.json', () => {
  it('serves only public key members, with the kid that signs tokens', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    const res = await app.inject('/.well-known/jwks.json')
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^application\/jwk-set\+json/)
    assert.match(String(res.headers['cache-control']), /max-age=300/)
    const { keys } = res.json() as { keys: Array<Record<string, string>> }
    assert.equal(keys.length, 1)
    const [key] = keys
    assert.deepEqual(Object.keys(key ?? {}).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    assert.equal(key?.kid, decodeProtectedHeader(token).kid)
    assert.doesNotMatch(res.body, /"d"/)
  })
})

describe('docs', () => {
  it('serve an OpenAPI 3.1 document describing every route, with the password flow', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject('/openapi.json')
    assert.equal(res.statusCode, 200)
    const doc = res.json()
    assert.equal(doc.openapi, '3.1.0')
    const flow = doc.components.securitySchemes.OAuth2PasswordBearer.flows.password
    assert.equal(flow.tokenUrl, '/token')
    for (const path of [
      '/',
      '/register',
      '/token',
      '/users/me',
      '/.well-known/jwks.json',
      '/healthz',
      '/readyz',
    ]) {
      const ops = doc.paths[path]
      assert.ok(ops, path)
      for (const op of Object.values(ops) as Array<{ description?: string }>) {
        assert.ok(op.description && op.description.length > 10, `${path} has a description`)
      }
    }
    assert.ok(doc.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded'])
  })

  it('serve the interactive page and its assets from this server (no CDN)', async (t) => {
    const { app } = await buildTestApp(t)
    const page = await app.inject('/docs/')
    assert.equal(page.statusCode, 200)
    assert.match(String(page.headers['content-type']), /text\/html/)
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '')
    assert.ok(assets.length > 0)
    for (const asset of assets) {
      assert.doesNotMatch(asset, /^(https?:)?\/\//, `${asset} is local`)
      const url = asset.startsWith('/') ? asset : `/docs/${asset.replace(/^\.\//, '')}`
      assert.equal((await app.inject(url)).statusCode, 200, url)
    }
  })
})
