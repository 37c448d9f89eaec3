import assert from 'node:assert/strict'
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
})
