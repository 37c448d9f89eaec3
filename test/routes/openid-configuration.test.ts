import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, ISSUER } from '../helpers.js'

describe('GET /.well-known/openid-configuration', () => {
  it('describes the running provider (Discovery 1.0 §3), a superset of the RFC 8414 document', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_SCOPES: 'email notes:read' } })
    const res = await app.inject('/.well-known/openid-configuration')
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.equal(res.headers['cache-control'], 'public, max-age=300')
    const doc = res.json()
    assert.deepEqual(doc, {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      end_session_endpoint: `${ISSUER}/session/end`,
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
      scopes_supported: ['openid', 'profile', 'sessions', 'admin', 'email', 'notes:read'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'amr',
        'azp',
        'sid',
        'at_hash',
        'preferred_username',
        'name',
        'email',
        'email_verified',
      ],
      prompt_values_supported: ['none', 'login', 'consent'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
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
    const oauth = (await app.inject('/.well-known/oauth-authorization-server')).json()
    for (const [name, value] of Object.entries(oauth))
      assert.deepEqual((doc as Record<string, unknown>)[name], value, name)
  })

  it('leaves out the password grant when PORTCULLIS_PASSWORD_GRANT is false, in both documents', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_PASSWORD_GRANT: 'false' } })
    for (const path of ['openid-configuration', 'oauth-authorization-server']) {
      const doc = (await app.inject(`/.well-known/${path}`)).json()
      assert.deepEqual(
        doc.grant_types_supported,
        ['authorization_code', 'refresh_token', 'client_credentials'],
        path,
      )
    }
  })

  it('names the key ring algorithm (EdDSA) for ID tokens', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_SIGNING_ALG: 'EdDSA' } })
    const doc = (await app.inject('/.well-known/openid-configuration')).json()
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['EdDSA'])
  })
})
