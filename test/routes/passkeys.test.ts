import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { SoftAuthenticator } from '../auth/passkeys-authenticator.js'
import { buildTestApp, ISSUER, login, registerUser, type TestApp } from '../helpers.js'

type Json = Record<string, unknown>

async function signedIn(t: TestContext) {
  const h = await buildTestApp(t)
  const user = await registerUser(h.app, 'alice')
  // Signed in with a second factor: once a first passkey is on, adding or changing another
  // needs one (the first-passkey-by-password path: mfa-factor-changes.test.ts).
  const token = await multiFactorToken(h, user.id)
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json) =>
    h.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload }),
    })
  return { ...h, user, token, call }
}

async function register(h: Awaited<ReturnType<typeof signedIn>>, name?: string) {
  const authenticator = new SoftAuthenticator({ origin: ISSUER })
  const options = await h.call('POST', '/users/me/passkeys/options')
  assert.equal(options.statusCode, 200, options.body)
  const response = authenticator.create(options.json())
  const res = await h.call('POST', '/users/me/passkeys', {
    response,
    ...(name === undefined ? {} : { name }),
  })
  return { authenticator, response, res }
}

/** An access token of a session that a passkey sign-in started now (amr hwk user mfa). */
async function multiFactorToken({ services }: TestApp, userId: string): Promise<string> {
  const client = services.clients.builtin.id
  const { session } = await services.sessions.start(
    userId,
    client,
    'profile',
    { ip: '192.0.2.1', userAgent: null },
    { refreshToken: true, amr: ['hwk', 'user', 'mfa'] },
  )
  return (await services.tokens.issue(userId, client, 'profile', session)).token
}

describe('/users/me/passkeys', () => {
  it('gives creation options for the signed-in user: RP ID, opaque handle, UV and resident key', async (t) => {
    const h = await signedIn(t)
    const res = await h.call('POST', '/users/me/passkeys/options')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    const options = res.json()
    assert.equal(options.rp.id, 'portcullis.test')
    assert.equal(Buffer.from(options.user.id, 'base64url').toString(), h.user.id)
    assert.deepEqual(options.authenticatorSelection, {
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    })
    assert.match(options.challenge, /^[A-Za-z0-9_-]{43}$/)
    const anonymous = await h.app.inject({ method: 'POST', url: '/users/me/passkeys/options' })
    assert.equal(anonymous.statusCode, 401)
  })

  it('registers, lists, renames and deletes a passkey', async (t) => {
    const h = await signedIn(t)
    const { res, response } = await register(h, 'Laptop')
    assert.equal(res.statusCode, 201, res.body)
    const created = res.json()
    assert.deepEqual(Object.keys(created).sort(), [
      'backed_up',
      'backup_eligible',
      'created_at',
      'id',
      'last_used_at',
      'name',
      'transports',
    ])
    assert.equal(created.name, 'Laptop')
    assert.equal(created.backup_eligible, false)
    const stored = await h.services.store.mfaFactors.findById(created.id)
    assert.equal(stored?.credentialId, response.id)
    const list = await h.call('GET', '/users/me/passkeys')
    assert.equal(list.statusCode, 200)
    assert.deepEqual(list.json(), [created])
    const renamed = await h.call('PATCH', `/users/me/passkeys/${created.id}`, { name: 'Phone' })
    assert.equal(renamed.statusCode, 204)
    assert.equal((await h.call('GET', '/users/me/passkeys')).json()[0].name, 'Phone')
    const strong = await multiFactorToken(h, h.user.id)
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/users/me/passkeys/${created.id}`,
      headers: { authorization: `Bearer ${strong}` },
    })
    assert.equal(deleted.statusCode, 204, deleted.body)
    assert.deepEqual((await h.call('GET', '/users/me/passkeys')).json(), [])
  })

  it('refuses a replayed registration and a response to no options with 400', async (t) => {
    const h = await signedIn(t)
    const { res, response } = await register(h)
    assert.equal(res.statusCode, 201)
    const again = await h.call('POST', '/users/me/passkeys', { response })
    assert.equal(again.statusCode, 400)
    assert.equal(again.json().error, 'invalid_request')
    assert.match(again.json().error_description, /new options/)
  })

  it('answers every bad input with a 4xx in the error shape', async (t) => {
    const h = await signedIn(t)
    const { res } = await register(h)
    const id = res.json().id
    const cases: Array<[string, 'POST' | 'PATCH' | 'DELETE', string, Json | undefined, number]> = [
      ['no body', 'POST', '/users/me/passkeys', undefined, 415],
      ['no response', 'POST', '/users/me/passkeys', {}, 400],
      ['response not an object', 'POST', '/users/me/passkeys', { response: 'x' }, 400],
      [
        'garbage attestation',
        'POST',
        '/users/me/passkeys',
        {
          response: {
            id: 'AAAA',
            rawId: 'AAAA',
            type: 'public-key',
            clientExtensionResults: {},
            response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' },
          },
        },
        400,
      ],
      ['extra field', 'POST', '/users/me/passkeys', { response: {}, admin: true }, 400],
      ['empty name', 'PATCH', `/users/me/passkeys/${id}`, { name: ' ' }, 400],
      ['long name', 'PATCH', `/users/me/passkeys/${id}`, { name: 'x'.repeat(65) }, 400],
      ['name not text', 'PATCH', `/users/me/passkeys/${id}`, { name: 5 }, 400],
      ['unknown passkey', 'PATCH', '/users/me/passkeys/nope', { name: 'A' }, 404],
      ['unknown passkey', 'DELETE', '/users/me/passkeys/nope', undefined, 404],
    ]
    for (const [label, method, url, payload, status] of cases) {
      const answer = await h.call(method, url, payload)
      assert.equal(answer.statusCode, status, `${label}: ${answer.body}`)
      assert.equal(typeof answer.json().error, 'string', label)
      assert.equal(typeof answer.json().error_description, 'string', label)
    }
  })

  it("never shows or changes another user's passkey", async (t) => {
    const h = await signedIn(t)
    const { res } = await register(h)
    const id = res.json().id
    await registerUser(h.app, 'bob')
    const bob = await login(h.app, 'bob')
    const as = (method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: Json) =>
      h.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${bob}` },
        ...(payload ? { payload } : {}),
      })
    assert.deepEqual((await as('GET', '/users/me/passkeys')).json(), [])
    assert.equal((await as('PATCH', `/users/me/passkeys/${id}`, { name: 'Mine' })).statusCode, 404)
    assert.equal((await as('DELETE', `/users/me/passkeys/${id}`)).statusCode, 404)
    assert.equal((await h.call('GET', '/users/me/passkeys')).json()[0].name, 'Passkey')
  })
})
