import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { buildTestApp, getMe, login, registerUser } from '../helpers.js'

// What every response carries (security-headers.ts), errors included.
const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "frame-ancestors 'none'",
  'cache-control': 'no-store',
}

function assertSecurityHeaders(headers: Record<string, unknown>) {
  for (const [name, value] of Object.entries(securityHeaders)) {
    assert.equal(headers[name], value, name)
  }
}

describe('the /users/me hot path', () => {
  it('answers with exactly the security headers, on success and on refusal', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    const ok = await getMe(app, `Bearer ${token}`)
    assert.equal(ok.statusCode, 200)
    assert.equal(ok.json().username, 'alice')
    assertSecurityHeaders(ok.headers)
    const refused = await getMe(app)
    assert.equal(refused.statusCode, 401)
    assertSecurityHeaders(refused.headers)
    const head = await app.inject({
      method: 'HEAD',
      url: '/users/me',
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(head.statusCode, 200)
    assertSecurityHeaders(head.headers)
  })

  it('refuses NUL in the query of a bodiless request, and in a body', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    const query = await app.inject({
      url: '/users/me?x=a%00b',
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(query.statusCode, 400)
    assert.equal(query.json().error, 'invalid_request')
    assert.match(query.json().error_description, /NUL/)
    const body = await app.inject({
      method: 'POST',
      url: '/register',
      payload: { username: 'bob', password: 'correct horse battery staple', full_name: 'a\u0000b' },
    })
    assert.equal(body.statusCode, 400)
    assert.match(body.json().error_description, /NUL/)
  })

  it('writes one access line per request in the log format, path without its query', async (t) => {
    const lines: string[] = []
    const logStream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk))
        callback()
      },
    })
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_LOG_LEVEL: 'info' }, logStream })
    await app.inject({ url: '/no"where\\?access_token=secret-in-query' })
    const access = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
    assert.equal(access.length, 1)
    const [line] = access
    assert.deepEqual(Object.keys(line), [
      'level',
      'time',
      'reqId',
      'method',
      'path',
      'status',
      'ms',
      'msg',
    ])
    assert.equal(line.level, 30)
    assert.equal(typeof line.time, 'number')
    assert.equal(line.method, 'GET')
    assert.equal(line.path, '/no%22where/')
    assert.equal(line.status, 404)
    assert.equal(typeof line.ms, 'number')
    assert.ok(!lines.join('').includes('secret-in-query'))
  })

  it('writes no access line above the info level', async (t) => {
    const lines: string[] = []
    const logStream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk))
        callback()
      },
    })
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_LOG_LEVEL: 'warn' }, logStream })
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
    assert.deepEqual(lines, [])
  })
})
