/**
 * The built-in client of the /docs page and the authorization code flow the OpenAPI document
 * offers with it. The page driving the flow in Chromium: test/browser/docs-pkce.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { adminLogin, buildTestApp, ISSUER, PASSWORD, postToken, registerUser } from '../helpers.js'

interface OpenApi {
  components: {
    securitySchemes: {
      OAuth2PasswordBearer: {
        flows: {
          password: { tokenUrl: string; scopes: Record<string, string> }
          authorizationCode: {
            authorizationUrl: string
            tokenUrl: string
            scopes: Record<string, string>
          }
        }
      }
    }
  }
}

describe('the built-in docs client', () => {
  it('is found by id: public, first-party, code and refresh grants, every scope but admin, one redirect URI', async (t) => {
    const { services } = await buildTestApp(t)
    const client = await services.clients.find('portcullis-docs')
    assert.ok(client)
    assert.equal(client.secretHash, null)
    assert.equal(client.firstParty, true)
    assert.deepEqual(client.grantTypes, ['authorization_code', 'refresh_token'])
    assert.deepEqual(client.scopes, ['profile', 'sessions', 'email'])
    assert.deepEqual(client.redirectUris, [`${ISSUER}/docs/static/oauth2-redirect.html`])
    assert.deepEqual(client.postLogoutRedirectUris, [])
    assert.equal(client.resource, null)
    // It authenticates as a public client: its id and no secret, never with one.
    assert.equal((await services.clients.verify('portcullis-docs', undefined))?.id, client.id)
    assert.equal(await services.clients.verify('portcullis-docs', 'a guess'), null)
  })

  it('cannot use the password grant', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const res = await postToken(app, {
      grant_type: 'password',
      username: 'alice',
      password: PASSWORD,
      client_id: 'portcullis-docs',
    })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().error, 'unauthorized_client')
  })

  it('cannot be shadowed: registering a client with its id is 400 invalid_request', async (t) => {
    const test = await buildTestApp(t)
    const { token } = await adminLogin(test)
    const res = await test.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        client_id: 'portcullis-docs',
        name: 'impostor',
        confidential: false,
        grant_types: ['refresh_token'],
        scopes: ['profile'],
      },
    })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().error, 'invalid_request')
    assert.match(res.json().error_description, /built-in id/)
  })
})

describe('GET /openapi.json', () => {
  it('offers the authorization code flow beside the password flow, with openid and without admin', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'GET', url: '/openapi.json' })
    assert.equal(res.statusCode, 200)
    const { flows } = (res.json() as OpenApi).components.securitySchemes.OAuth2PasswordBearer
    assert.deepEqual(Object.keys(flows), ['password', 'authorizationCode'])
    assert.equal(flows.authorizationCode.authorizationUrl, '/authorize')
    assert.equal(flows.authorizationCode.tokenUrl, '/token')
    assert.deepEqual(Object.keys(flows.authorizationCode.scopes), [
      'profile',
      'sessions',
      'email',
      'openid',
    ])
    assert.deepEqual(Object.keys(flows.password.scopes), ['profile', 'sessions', 'admin', 'email'])
  })

  it('the docs page script starts Swagger UI with PKCE, the docs client and its redirect page', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'GET', url: '/docs/static/theme/portcullis.js' })
    assert.equal(res.statusCode, 200)
    assert.match(res.body, /"usePkceWithAuthorizationCodeGrant":true/)
    assert.match(res.body, /"clientId":"portcullis-docs"/)
    assert.ok(
      res.body.includes(`oauth2RedirectUrl: "${ISSUER}/docs/static/oauth2-redirect.html"`),
      res.body,
    )
    // The redirect page loads only a script of this server: the docs CSP allows it.
    const redirect = await app.inject({ method: 'GET', url: '/docs/static/oauth2-redirect.html' })
    assert.equal(redirect.statusCode, 200)
    assert.match(redirect.headers['content-security-policy'] as string, /script-src 'self'(;|$)/)
    assert.doesNotMatch(redirect.body, /<script>/)
  })
})
