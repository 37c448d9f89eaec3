import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import {
  basic,
  buildTestApp,
  createClient,
  getMe,
  login,
  registerUser,
  type TestApp,
} from '../helpers.js'
import {
  nonB64tokenSpellings,
  nonCanonicalSpellings,
  tokenWithBothUrlSymbols,
} from '../support/token-spellings.js'

type Reply = Awaited<ReturnType<typeof getMe>>

function assertInvalidToken(res: Reply, what: string) {
  assert.equal(res.statusCode, 401, `${what}: ${res.body}`)
  assert.equal(res.json().error, 'invalid_token', what)
  assert.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="portcullis", error="invalid_token"/,
    what,
  )
}

async function setup(t: TestContext) {
  // Several logins in a row on a busy machine: load shedding is not what is tested here.
  const testApp = await buildTestApp(t)
  await registerUser(testApp.app, 'alice')
  const token = await tokenWithBothUrlSymbols(() => login(testApp.app, 'alice'))
  return { testApp, token }
}

function introspect({ app }: TestApp, auth: string, token: string) {
  return app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
    payload: new URLSearchParams({ token }).toString(),
  })
}

describe('access tokens must be canonical base64url (RFC 7515 §2)', () => {
  it('refuses every non-canonical spelling of a valid token at GET /users/me with 401', async (t) => {
    const { testApp, token } = await setup(t)
    for (const [what, spelling] of Object.entries(nonCanonicalSpellings(token))) {
      assertInvalidToken(await getMe(testApp.app, `Bearer ${spelling}`), what)
    }
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
  })

  it('refuses them on every Bearer route, e.g. GET /users/me/sessions', async (t) => {
    const { testApp, token } = await setup(t)
    for (const [what, spelling] of Object.entries(nonCanonicalSpellings(token))) {
      const res = await testApp.app.inject({
        method: 'GET',
        url: '/users/me/sessions',
        headers: { authorization: `Bearer ${spelling}` },
      })
      assertInvalidToken(res, what)
    }
  })

  it('does not let the cache accept a second spelling after the first was verified', async (t) => {
    const { testApp, token } = await setup(t)
    // The canonical token is verified and cached; its spellings must still be checked and fail.
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    for (const [what, spelling] of Object.entries(nonCanonicalSpellings(token))) {
      assertInvalidToken(await getMe(testApp.app, `Bearer ${spelling}`), what)
      assert.throws(() => testApp.services.tokens.fromCache(spelling), /malformed/, what)
      assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200, what)
    }
  })

  it('answers 400 invalid_request to Bearer credentials outside the b64token syntax (RFC 6750 §2.1)', async (t) => {
    const { testApp, token } = await setup(t)
    const spellings = nonB64tokenSpellings(token)
    for (const what of ['a space inside the signature', 'padding in the payload']) {
      const res = await getMe(testApp.app, `Bearer ${spellings[what]}`)
      assert.equal(res.statusCode, 400, what)
      assert.equal(res.json().error, 'invalid_request', what)
    }
  })

  it('reports every non-canonical or whitespace spelling inactive at /introspect', async (t) => {
    const { testApp, token } = await setup(t)
    const { client, secret } = await createClient(testApp, {
      id: 'resource-server',
      scopes: [],
      introspect: true,
    })
    const auth = basic(client.id, secret ?? '')
    assert.equal((await introspect(testApp, auth, token)).json().active, true)
    const spellings = { ...nonCanonicalSpellings(token), ...nonB64tokenSpellings(token) }
    for (const [what, spelling] of Object.entries(spellings)) {
      const res = await introspect(testApp, auth, spelling)
      assert.equal(res.statusCode, 200, what)
      assert.deepEqual(res.json(), { active: false }, what)
    }
  })
})
