import type { ClientRecord } from '../store/store.js'

/** The `client_id` of the built-in client the /docs page signs in with (authorization code + PKCE). */
export const docsClientId = 'portcullis-docs'

/**
 * Where the authorization server sends the /docs page's sign-in back: Swagger UI's own redirect
 * page, which @fastify/swagger-ui serves under its static prefix (a file loading one script, so
 * the docs CSP's `script-src 'self'` suffices). Registered by exact string match (RFC 9700 §2.1).
 */
export const docsRedirectUri = (issuer: string) => `${issuer}/docs/static/oauth2-redirect.html`

/**
 * The built-in client of the /docs page: public (a page in the browser keeps no secret, so PKCE
 * is its protection, RFC 9700 §2.1.1), first-party (the operator's own page: no consent step),
 * the authorization code and refresh grants only, and every offered scope but `admin`: a token
 * minted by a page that runs arbitrary "Try it out" calls never administers the server. Its one
 * redirect URI is this issuer's Swagger UI redirect page, so a code for it cannot leave the server.
 */
export function docsClient(issuer: string, offeredScopes: readonly string[]): ClientRecord {
  const at = new Date(0).toISOString()
  return {
    id: docsClientId,
    name: 'API docs (/docs)',
    secretHash: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: offeredScopes.filter((scope) => scope !== 'admin'),
    introspect: false,
    // It never gets a client_credentials token, so nothing carries this.
    registrationId: 'builtin-docs',
    createdAt: at,
    updatedAt: at,
    redirectUris: [docsRedirectUri(issuer)],
    postLogoutRedirectUris: [],
    firstParty: true,
    resource: null,
  }
}
