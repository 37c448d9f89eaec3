import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PASSWORD } from '../helpers.js'
import { startServer } from '../support/server-process.js'

const env = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
  PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
}

/** Registers, logs in with the given X-Forwarded-For, and returns the session's recorded IP. */
async function sessionIp(url: string, forwardedFor: string): Promise<string | null> {
  const reg = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  })
  assert.equal(reg.status, 201)
  const tok = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'x-forwarded-for': forwardedFor },
    body: new URLSearchParams({ username: 'alice', password: PASSWORD }),
  })
  assert.equal(tok.status, 200)
  const { access_token } = (await tok.json()) as { access_token: string }
  const res = await fetch(`${url}/users/me/sessions`, {
    headers: { authorization: `Bearer ${access_token}` },
  })
  const sessions = (await res.json()) as { ip: string | null; current: boolean }[]
  return sessions.find((s) => s.current)?.ip ?? null
}

describe('client IP over real connections', () => {
  it('believes X-Forwarded-For only when the peer is a listed proxy', async (t) => {
    const [trusting, distrusting] = await Promise.all([
      startServer({ ...env, PORTCULLIS_TRUST_PROXY: '127.0.0.1, ::1' }),
      startServer({ ...env, PORTCULLIS_TRUST_PROXY: '10.0.0.0/8' }),
    ])
    t.after(() => Promise.all([trusting.stop(), distrusting.stop()]))
    assert.equal(await sessionIp(trusting.url, '198.51.100.23'), '198.51.100.23')
    assert.match(
      String(await sessionIp(distrusting.url, '198.51.100.23')),
      /^(::ffff:)?127\.0\.0\.1$/,
    )
  })
})
