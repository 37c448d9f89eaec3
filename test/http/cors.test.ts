import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from '../../src/config.js'
import { buildTestApp, testConfig } from '../helpers.js'

const ORIGIN = 'https://example.com'

function get(app: FastifyInstance, origin: string) {
  return app.inject({ method: 'GET', url: '/healthz', headers: { origin } })
}

function preflight(app: FastifyInstance, origin: string) {
  return app.inject({
    method: 'OPTIONS',
    url: '/users/me',
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
  })
}

describe('CORS', () => {
  it('is off by default: no CORS headers, and preflights are 404', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await get(app, ORIGIN)
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['access-control-allow-origin'], undefined)
    const pre = await preflight(app, ORIGIN)
    assert.equal(pre.statusCode, 404)
    assert.equal(pre.headers['access-control-allow-origin'], undefined)
  })

  it('allows exactly the listed origins, reflected with Vary: Origin', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_CORS_ORIGINS: `${ORIGIN}, http://localhost:5173` },
    })
    for (const origin of [ORIGIN, 'http://localhost:5173']) {
      const res = await get(app, origin)
      assert.equal(res.headers['access-control-allow-origin'], origin)
      assert.match(String(res.headers.vary), /Origin/)
      assert.equal(res.headers['access-control-allow-credentials'], undefined)
      assert.match(String(res.headers['access-control-expose-headers']), /Retry-After/)
    }
  })

  it('never matches by suffix, prefix, scheme, port or case', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_CORS_ORIGINS: ORIGIN } })
    for (const origin of [
      'https://evil-example.com',
      'https://example.com.evil.net',
      'https://sub.example.com',
      'http://example.com',
      'https://example.com:8443',
      'https://EXAMPLE.com',
      'https://example.com/',
      'null',
    ]) {
      const res = await get(app, origin)
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin)
      const pre = await preflight(app, origin)
      assert.equal(pre.statusCode, 404, origin)
      assert.equal(pre.headers['access-control-allow-origin'], undefined, origin)
    }
  })

  it('answers an allowed preflight with 204, the methods and headers', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_CORS_ORIGINS: ORIGIN, PORTCULLIS_CORS_CREDENTIALS: 'true' },
    })
    const res = await preflight(app, ORIGIN)
    assert.equal(res.statusCode, 204)
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN)
    assert.equal(res.headers['access-control-allow-credentials'], 'true')
    assert.match(String(res.headers['access-control-allow-methods']), /\bGET\b.*\bPOST\b/)
    assert.match(String(res.headers['access-control-allow-headers']), /Authorization/)
    assert.equal(res.headers['access-control-max-age'], '600')
  })

  it('with "*" allows any origin, never with credentials', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_CORS_ORIGINS: '*' } })
    const res = await get(app, 'https://anywhere.test')
    assert.equal(res.headers['access-control-allow-origin'], '*')
    assert.equal(res.headers['access-control-allow-credentials'], undefined)
  })

  for (const [env, pattern] of [
    [{ PORTCULLIS_CORS_ORIGINS: 'https://example.com/' }, /bad entry "https:\/\/example\.com\/"/],
    [
      { PORTCULLIS_CORS_ORIGINS: 'https://example.com/app' },
      /did you mean "https:\/\/example\.com"/,
    ],
    [
      { PORTCULLIS_CORS_ORIGINS: 'https://*.example.com' },
      /bad entry "https:\/\/\*\.example\.com"/,
    ],
    [{ PORTCULLIS_CORS_ORIGINS: 'example.com' }, /bad entry "example\.com"/],
    [{ PORTCULLIS_CORS_ORIGINS: 'https://Example.com' }, /bad entry/],
    [{ PORTCULLIS_CORS_ORIGINS: 'https://example.com:443' }, /default port/],
    [{ PORTCULLIS_CORS_ORIGINS: 'ftp://example.com' }, /bad entry/],
    [{ PORTCULLIS_CORS_ORIGINS: '*,https://example.com' }, /"\*" must stand alone/],
    [
      { PORTCULLIS_CORS_ORIGINS: '*', PORTCULLIS_CORS_CREDENTIALS: 'true' },
      /^PORTCULLIS_CORS_CREDENTIALS=true cannot be combined with PORTCULLIS_CORS_ORIGINS=\*/,
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} in one line`, () => {
      assert.throws(
        () => testConfig(env),
        (error: unknown) =>
          error instanceof ConfigError &&
          pattern.test(error.message) &&
          error.message.startsWith('PORTCULLIS_CORS_') &&
          !error.message.includes('\n'),
      )
    })
  }
})
