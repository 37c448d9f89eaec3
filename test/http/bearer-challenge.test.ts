import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { bearerChallenge } from '../../src/http/bearer.js'
import { createServices } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import { getMe, testConfig } from '../helpers.js'

// PORTCULLIS_REALM refuses `"` and `\`, but an embedder that builds the configuration itself can
// still pass them: the challenge must stay one well-formed quoted-string (RFC 9110 §5.6.4).
const realm = 'a"b\\c'
const escapedRealm = 'Bearer realm="a\\"b\\\\c"'

async function appWithRealm(t: TestContext) {
  const base = testConfig()
  const config = { ...base, tokens: { ...base.tokens, realm } }
  const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  const services = await createServices(config, store, clock)
  const app = await buildApp(services)
  await app.ready()
  t.after(async () => {
    await app.close()
    await store.close()
  })
  return app
}

describe('WWW-Authenticate of the server', () => {
  it('escapes " and \\ of the realm when no credentials were sent', async (t) => {
    const res = await getMe(await appWithRealm(t))
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], escapedRealm)
    assert.deepEqual(res.json(), {
      error: 'unauthorized',
      error_description: 'authentication required: send Authorization: Bearer <token>',
    })
  })

  it('escapes the realm of a 400 invalid_request for a malformed header', async (t) => {
    const res = await getMe(await appWithRealm(t), 'Bearer a b')
    assert.equal(res.statusCode, 400)
    assert.equal(
      res.headers['www-authenticate'],
      `${escapedRealm}, error="invalid_request", error_description="the Authorization header is malformed"`,
    )
  })

  it('escapes the realm of a 401 invalid_token', async (t) => {
    const res = await getMe(await appWithRealm(t), 'Bearer not.a.token')
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error, 'invalid_token')
    assert.ok(
      String(res.headers['www-authenticate']).startsWith(`${escapedRealm}, error="invalid_token"`),
      String(res.headers['www-authenticate']),
    )
  })

  it('keeps error_description and scope within the characters RFC 6750 §3 allows', () => {
    assert.equal(
      bearerChallenge('portcullis', 'insufficient_scope', 'say "no" \\ here\r\n', 'a"b c\\d'),
      'Bearer realm="portcullis", error="insufficient_scope", error_description="say no  here", scope="ab cd"',
    )
  })
})
