import { docsClientId, docsRedirectUri } from '../auth/docs-client.js'
import type { Config } from '../config.js'

/** Where the OpenAPI document is served: the address the README and `GET /` name. */
export const openApiPath = '/openapi.json'

/**
 * The script that starts Swagger UI on /docs, served as a file (never inline: the page's CSP
 * allows no inline script). @fastify/swagger-ui's own initializer, loaded just before it, sets
 * `window.onload` to a Swagger UI on `/docs/json` under Swagger's "Explore" top bar; this one
 * replaces that handler: the document from {@link openApiPath}, the base layout (no top bar),
 * and a Portcullis header. Config values are embedded as JSON literals.
 *
 * Authorize offers two flows with two clients: the password flow with the built-in password
 * client, and the authorization code flow with PKCE (S256, RFC 7636) with the built-in docs
 * client, whose one registered redirect URI is {@link docsRedirectUri}. Swagger UI takes one
 * `clientId` for every flow, so the page names the docs client (the authorization URL must
 * carry it), and a request interceptor takes the docs client's id off a password-grant token
 * request (the docs client has no password grant): that request then names no client, and the
 * server uses its built-in password client, exactly as for the tutorial's clients.
 */
export function docsPageScript(config: Config): string {
  const oauth = {
    clientId: docsClientId,
    // Ticked in both flows, and sent by both whether listed or not: so not `openid`, which
    // the password grant does not know (tick it in the code flow for an ID token).
    scopes: config.scopes.defaults,
    usePkceWithAuthorizationCodeGrant: true,
  }
  const redirect = docsRedirectUri(config.tokens.issuer)
  // Swagger UI sends the client as HTTP Basic (id and an empty secret) or as a form parameter.
  const docsBasic = `Basic ${Buffer.from(`${docsClientId}:`).toString('base64')}`
  const docsParam = `client_id=${encodeURIComponent(docsClientId)}`
  return `'use strict'
function withoutDocsClientOnPasswordGrant(request) {
  var body = typeof request.body === 'string' ? request.body : ''
  if (body.split('&').indexOf('grant_type=password') === -1) return request
  if (request.headers && request.headers.Authorization === ${JSON.stringify(docsBasic)}) {
    delete request.headers.Authorization
  }
  request.body = body.split('&').filter(function (p) { return p !== ${JSON.stringify(docsParam)} }).join('&')
  return request
}
window.onload = function () {
  var header = document.createElement('header')
  header.className = 'portcullis-header'
  var name = document.createElement('h1')
  name.textContent = 'Portcullis'
  var tagline = document.createElement('span')
  tagline.className = 'portcullis-tagline'
  tagline.textContent = 'authentication API'
  var spec = document.createElement('a')
  spec.href = ${JSON.stringify(openApiPath)}
  spec.textContent = 'OpenAPI document'
  header.append(name, tagline, spec)
  document.body.prepend(header)
  var ui = SwaggerUIBundle({
    dom_id: '#swagger-ui',
    url: ${JSON.stringify(openApiPath)},
    layout: 'BaseLayout',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: true,
    oauth2RedirectUrl: ${JSON.stringify(redirect)},
    requestInterceptor: withoutDocsClientOnPasswordGrant,
  })
  ui.initOAuth(${JSON.stringify(oauth)})
}
`
}

/** The header's look; Swagger UI's own stylesheet does the rest. */
export const docsPageCss = `.portcullis-header {
  display: flex;
  align-items: baseline;
  gap: 1rem;
  padding: 0.75rem 1.25rem;
  background: #1f2933;
  color: #f5f7fa;
  font-family: sans-serif;
}
.portcullis-header h1 { margin: 0; font-size: 1.5rem; }
.portcullis-header .portcullis-tagline { color: #cbd2d9; }
.portcullis-header a { margin-left: auto; color: #9fd3ff; }
`

/**
 * The Content-Security-Policy of /docs and its assets: scripts, styles and fonts from this
 * server only (no inline script, no CDN), images also as data: URLs (Swagger UI's icons), and
 * requests ("Try it out", the token request) only to this server and to the issuer the
 * document's `servers` names.
 */
export function docsPageCsp(config: Config): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${new URL(config.tokens.issuer).origin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
