import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import {
  basic,
  buildTestApp,
  createClient,
  getMe,
  ISSUER,
  PASSWORD,
  postToken,
  registerUser,
} from '../helpers.js'

const machine = { grantTypes: ['client_credentials'], scopes: ['profile', 'email'] }

function assertInvalidClient(res: {
  statusCode: number
  headers: Record<string, unknown>
  json: () => { error: string }
}) {
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error, 'invalid_client')
  assert.equal(res.headers['www-authenticate'], 'Basic realm="portcullis"')
}

describe('client_credentials (RFC 6749 §4.4)', () => {
  it('issues a token with the client as sub and no refresh token, with HTTP Basic', async (t) => {
    const test = await buildTestApp(t)
    const { client, secret } = await createClient(test, { id: 'reports', ...machine })
    assert.ok(secret)
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, secret) },
    )
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ])
    // The built-in scopes act on a user's own account: never on a token without a user.
    assert.equal(body.scope, 'email')
    const claims = decodeJwt(body.access_token)
    assert.equal(claims.sub, 'reports')
    assert.equal(claims.client_id, 'reports')
    assert.equal(claims.iss, ISSUER)
    assert.equal(claims.sid, undefined)
  })

  it('accepts form parameters and narrows to the requested scope', async (t) => {
    const test = await buildTestApp(t)
    const { client, secret } = await createClient(test, machine)
    const res = await postToken(test.app, {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: secret ?? '',
      scope: 'email',
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().scope, 'email')
    const wider = await postToken(test.app, {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: secret ?? '',
      scope: 'sessions',
    })
    assert.equal(wider.statusCode, 400)
    assert.equal(wider.json().error, 'invalid_scope')
  })

  it('cannot be used on Portcullis’s own user endpoints', async (t) => {
    const test = await buildTestApp(t)
    const { client, secret } = await createClient(test, machine)
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, secret ?? '') },
    )
    const me = await getMe(test.app, `Bearer ${res.json().access_token}`)
    assert.equal(me.statusCode, 401)
    assert.equal(me.json().error, 'invalid_token')
  })

  describe('answers 401 invalid_client with a Basic challenge', () => {
    const cases: Array<
      [string, (id: string, secret: string) => [Record<string, string>, Record<string, string>]]
    > = [
      ['no client credentials at all', () => [{}, {}]],
      [
        'an unknown client (Basic)',
        (_id, secret) => [{}, { authorization: basic('nobody', secret) }],
      ],
      [
        'an unknown client (form)',
        (_id, secret) => [{ client_id: 'nobody', client_secret: secret }, {}],
      ],
      ['a wrong secret (Basic)', (id) => [{}, { authorization: basic(id, 'wrong') }]],
      ['a wrong secret (form)', (id) => [{ client_id: id, client_secret: 'wrong' }, {}]],
      ['a missing secret (form)', (id) => [{ client_id: id }, {}]],
      [
        'a Basic header without a colon',
        (id) => [{}, { authorization: `Basic ${Buffer.from(id).toString('base64')}` }],
      ],
      [
        'a Basic header that is not base64 of anything known',
        () => [{}, { authorization: 'Basic !!!!' }],
      ],
      [
        'a bad percent-encoding in Basic',
        (id) => [
          {},
          { authorization: `Basic ${Buffer.from(`${id}:%E0%A4%A`).toString('base64')}` },
        ],
      ],
      ['another scheme', () => [{}, { authorization: 'Bearer abc' }]],
      [
        'a form client_id that differs from Basic',
        (id, secret) => [{ client_id: 'other' }, { authorization: basic(id, secret) }],
      ],
    ]
    for (const [label, build] of cases) {
      it(label, async (t) => {
        const test = await buildTestApp(t)
        const { client, secret } = await createClient(test, machine)
        const [form, headers] = build(client.id, secret ?? '')
        const res = await postToken(
          test.app,
          { grant_type: 'client_credentials', ...form },
          headers,
        )
        assertInvalidClient(res)
      })
    }
  })

  it('refuses a secret sent both in Basic and in the form (RFC 6749 §2.3)', async (t) => {
    const test = await buildTestApp(t)
    const { client, secret } = await createClient(test, machine)
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials', client_secret: secret ?? '' },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_request')
  })

  it('refuses a grant the client is not registered for with unauthorized_client', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const { client, secret } = await createClient(test, machine)
    const res = await postToken(
      test.app,
      { username: 'alice', password: PASSWORD },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'unauthorized_client')
    const builtin = await postToken(test.app, {
      grant_type: 'client_credentials',
      client_id: 'portcullis',
    })
    assert.equal(builtin.statusCode, 400)
    assert.equal(builtin.json().error, 'unauthorized_client')
  })
})

describe('password grant through clients', () => {
  it('works without a client (the tutorial’s behaviour) and with a registered public one', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const { client } = await createClient(test, {
      id: 'spa',
      confidential: false,
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile'],
    })
    const res = await postToken(test.app, {
      username: 'alice',
      password: PASSWORD,
      client_id: client.id,
    })
    assert.equal(res.statusCode, 200)
    // The client's scopes bound the token, whatever the roles allow.
    assert.equal(res.json().scope, 'profile')
    assert.equal(decodeJwt(res.json().access_token).client_id, 'spa')
    const other = await postToken(test.app, {
      grant_type: 'refresh_token',
      refresh_token: res.json().refresh_token,
    })
    assert.equal(other.statusCode, 400, 'a session of one client cannot be refreshed by another')
    const refreshed = await postToken(test.app, {
      grant_type: 'refresh_token',
      refresh_token: res.json().refresh_token,
      client_id: 'spa',
    })
    assert.equal(refreshed.statusCode, 200)
  })

  it('needs a registered client when PORTCULLIS_REQUIRE_CLIENT is set', async (t) => {
    const test = await buildTestApp(t, { env: { PORTCULLIS_REQUIRE_CLIENT: 'true' } })
    await registerUser(test.app, 'alice')
    assertInvalidClient(await postToken(test.app, { username: 'alice', password: PASSWORD }))
    assertInvalidClient(
      await postToken(test.app, { username: 'alice', password: PASSWORD, client_id: 'portcullis' }),
    )
    const { client, secret } = await createClient(test, {
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile'],
    })
    const ok = await postToken(
      test.app,
      { username: 'alice', password: PASSWORD },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(ok.statusCode, 200)
  })

  it('lets a client revoke only its own tokens (RFC 7009 §2.1)', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const login = await postToken(test.app, { username: 'alice', password: PASSWORD })
    const { client, secret } = await createClient(test, {
      grantTypes: ['password'],
      scopes: ['profile'],
    })
    const revoke = (headers: Record<string, string>) =>
      test.app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({ token: login.json().refresh_token }).toString(),
      })
    const foreign = await revoke({ authorization: basic(client.id, secret ?? '') })
    assert.equal(foreign.statusCode, 200)
    assert.equal((await getMe(test.app, `Bearer ${login.json().access_token}`)).statusCode, 200)
    assertInvalidClient(await revoke({ authorization: basic(client.id, 'wrong') }))
    assert.equal((await revoke({})).statusCode, 200)
    assert.equal((await getMe(test.app, `Bearer ${login.json().access_token}`)).statusCode, 401)
  })
})

describe('client authentication with odd input', () => {
  it('answers 401, never 5xx, for a NUL in a Basic client id', async (t) => {
    const test = await buildTestApp(t)
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials' },
      { authorization: basic('a\u0000b', 'x') },
    )
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error, 'invalid_client')
  })
})

describe('registry rules from the security review', () => {
  it('never puts the built-in user scopes on a client_credentials token', async (t) => {
    const test = await buildTestApp(t)
    const { client, secret } = await createClient(test, machine)
    const res = await postToken(
      test.app,
      { grant_type: 'client_credentials', scope: 'profile' },
      { authorization: basic(client.id, secret ?? '') },
    )
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_scope')
  })

  it('refuses a client_id shaped like a user id, and introspection for public clients', async (t) => {
    const test = await buildTestApp(t)
    const user = await registerUser(test.app, 'alice')
    await assert.rejects(createClient(test, { id: user.id }), /must not have the shape of a UUID/)
    await assert.rejects(
      createClient(test, { confidential: false, grantTypes: ['password'], introspect: true }),
      /introspect needs a confidential client/,
    )
  })

  it('answers a client_secret without a client_id with 401 invalid_client', async (t) => {
    const test = await buildTestApp(t)
    await registerUser(test.app, 'alice')
    const res = await postToken(test.app, {
      username: 'alice',
      password: PASSWORD,
      client_secret: 'whatever',
    })
    assertInvalidClient(res)
  })

  it('rate limits client_credentials and failed client authentication per IP', async (t) => {
    const test = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_REQUEST_LIMIT: '3' },
    })
    const { client, secret } = await createClient(test, machine)
    const statuses = async (auth: string, from: string) => {
      const out = []
      for (let i = 0; i < 4; i++) {
        const res = await postToken(
          test.app,
          { grant_type: 'client_credentials' },
          { authorization: auth },
          { remoteAddress: from },
        )
        out.push(res.statusCode)
      }
      return out
    }
    assert.deepEqual(
      await statuses(basic(client.id, secret ?? ''), '10.0.0.1'),
      [200, 200, 200, 429],
    )
    assert.deepEqual(await statuses(basic(client.id, 'wrong'), '10.0.0.2'), [401, 401, 401, 429])
  })
})
