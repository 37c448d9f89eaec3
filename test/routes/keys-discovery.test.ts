import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeProtectedHeader, SignJWT } from 'jose'
import { buildTestApp, getMe, ISSUER, login, registerUser } from '../helpers.js'

const SECRET = 'kV3n9Qm2Lx7Rb4Tz8Wc1Yh6Jd5Fg0Sa3Pe9Ur2Io4Ny'

describe('GET /.well-known/jwks.json caching', () => {
  it('sends an ETag and answers a matching If-None-Match with 304', async (t) => {
    const { app } = await buildTestApp(t)
    const first = await app.inject('/.well-known/jwks.json')
    const etag = String(first.headers.etag)
    assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/)
    assert.equal(first.headers['cache-control'], 'public, max-age=300')
    const again = await app.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': etag },
    })
    assert.equal(again.statusCode, 304)
    assert.equal(again.body, '')
    const weak = await app.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': `W/${etag}` },
    })
    assert.equal(weak.statusCode, 304)
  })

  it('changes the ETag when a key is added', async (t) => {
    const { app, services } = await buildTestApp(t)
    const before = String((await app.inject('/.well-known/jwks.json')).headers.etag)
    await services.keyring.rotate(900)
    const after = await app.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': before },
    })
    assert.equal(after.statusCode, 200)
    assert.equal(after.json().keys.length, 2)
    assert.notEqual(after.headers.etag, before)
  })
})

describe('GET /.well-known/oauth-authorization-server', () => {
  it('describes the running configuration (RFC 8414)', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_SCOPES: 'profile notes:read' } })
    const res = await app.inject('/.well-known/oauth-authorization-server')
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      revocation_endpoint: `${ISSUER}/revoke`,
      introspection_endpoint: `${ISSUER}/introspect`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'password',
        'urn:portcullis:params:oauth:grant-type:mfa',
      ],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['openid', 'profile', 'sessions', 'admin', 'notes:read'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: [
        'none',
        'client_secret_basic',
        'client_secret_post',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      access_token_signing_alg_values_supported: ['ES256'],
      service_documentation: `${ISSUER}/docs`,
    })
  })
})

describe('the HS256 shared-secret mode', () => {
  const env = { PORTCULLIS_JWT_ALG: 'HS256', PORTCULLIS_JWT_SECRET: SECRET }

  it('signs HS256 tokens, verifies them, and publishes an empty JWKS', async (t) => {
    const { app } = await buildTestApp(t, { env })
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt', kid: 'hs256' })
    assert.equal((await getMe(app, `Bearer ${token}`)).statusCode, 200)
    assert.deepEqual((await app.inject('/.well-known/jwks.json')).json(), { keys: [] })
    const meta = (await app.inject('/.well-known/oauth-authorization-server')).json()
    assert.deepEqual(meta.access_token_signing_alg_values_supported, ['HS256'])
  })

  it('accepts HS256 only: a token signed with another secret or another algorithm fails', async (t) => {
    const { app } = await buildTestApp(t, { env })
    await registerUser(app, 'alice')
    const genuine = JSON.parse(
      Buffer.from((await login(app, 'alice')).split('.')[1] ?? '', 'base64url').toString(),
    )
    const other = await new SignJWT(genuine)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'hs256' })
      .sign(new TextEncoder().encode(`${SECRET}-other`))
    assert.equal((await getMe(app, `Bearer ${other}`)).statusCode, 401)
    const hs512 = await new SignJWT(genuine)
      .setProtectedHeader({ alg: 'HS512', typ: 'at+jwt', kid: 'hs256' })
      .sign(new TextEncoder().encode(SECRET))
    assert.equal((await getMe(app, `Bearer ${hs512}`)).statusCode, 401)
  })
})
