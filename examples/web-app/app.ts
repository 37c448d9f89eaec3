import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as oidc from 'openid-client'
import type { WebAppConfig } from './config.js'
import { homePage, problemPage } from './pages.js'
import type { Session, SessionStore } from './sessions.js'

/**
 * The web app's routes on plain node:http:
 * - `GET /`: who is signed in (name and email from /userinfo), or a sign-in link;
 * - `GET /login`: PKCE verifier, state and nonce into the server-side session, then off to
 *   Portcullis's authorization endpoint;
 * - `GET /callback`: the authorization response; openid-client checks `state` and `iss`
 *   (RFC 9207), redeems the code with the verifier, validates the ID token and its nonce, then
 *   the app reads /userinfo;
 * - `POST /logout`: ends the app's session and sends the browser to Portcullis's
 *   end_session_endpoint (RP-Initiated Logout 1.0) with the ID token as `id_token_hint`.
 */
export function webAppHandler(
  config: WebAppConfig,
  provider: oidc.Configuration,
  sessions: SessionStore,
) {
  const secure = config.baseUrl.startsWith('https://')
  // Under https the __Host- prefix pins the cookie to this host and path / (RFC 6265bis §4.1.3).
  const cookieName = secure ? '__Host-webapp_session' : 'webapp_session'
  const redirectUri = `${config.baseUrl}/callback`
  const issuerOrigin = config.issuer.origin

  function sessionOf(request: IncomingMessage): Session | undefined {
    const header = request.headers.cookie ?? ''
    for (const part of header.split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name === cookieName) return sessions.get(value.join('='))
    }
    return undefined
  }

  function setCookie(response: ServerResponse, session: Session | undefined) {
    const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
    response.setHeader(
      'set-cookie',
      session
        ? `${cookieName}=${session.id}; ${attributes}`
        : `${cookieName}=; Max-Age=0; ${attributes}`,
    )
  }

  function send(response: ServerResponse, status: number, html: string) {
    response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      // The sign-out form ends in a redirect to Portcullis: Chromium applies form-action to it.
      'content-security-policy': `default-src 'none'; form-action 'self' ${issuerOrigin}; frame-ancestors 'none'; base-uri 'none'`,
      'cache-control': 'no-store',
      // The callback URL holds the code: never let it out in a Referer.
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    response.end(html)
  }

  function redirect(response: ServerResponse, location: string) {
    response.writeHead(303, {
      location,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    })
    response.end()
  }

  async function login(request: IncomingMessage, response: ServerResponse) {
    const session = sessionOf(request) ?? sessions.create()
    const codeVerifier = oidc.randomPKCECodeVerifier()
    session.pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier }
    const url = oidc.buildAuthorizationUrl(provider, {
      redirect_uri: redirectUri,
      scope: config.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: session.pending.state,
      nonce: session.pending.nonce,
    })
    setCookie(response, session)
    redirect(response, url.href)
  }

  async function callback(request: IncomingMessage, response: ServerResponse) {
    const session = sessionOf(request)
    const pending = session?.pending
    if (!session || !pending) {
      send(response, 400, problemPage('No sign-in was in progress in this browser. Start again.'))
      return
    }
    // One authorization response per sign-in attempt, whatever happens next.
    delete session.pending
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
    try {
      tokens = await oidc.authorizationCodeGrant(
        provider,
        new URL(request.url ?? '/', config.baseUrl),
        {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
      )
    } catch (error) {
      // e.g. access_denied (the user said no), a state that does not match, a bad ID token.
      const code = error instanceof oidc.AuthorizationResponseError ? error.error : 'failed'
      console.error(`sign-in failed: ${code}`)
      send(response, 400, problemPage(`Sign-in did not complete (${code}).`))
      return
    }
    const claims = tokens.claims()
    const idToken = tokens.id_token
    if (!claims || !idToken) throw new Error('the token response carried no ID token')
    const info = await oidc.fetchUserInfo(provider, tokens.access_token, claims.sub)
    const signedIn = sessions.rotate(session)
    signedIn.user = {
      sub: claims.sub,
      name: stringOf(info.name) ?? stringOf(info.preferred_username),
      email: stringOf(info.email),
      idToken,
    }
    setCookie(response, signedIn)
    redirect(response, '/')
  }

  async function logout(request: IncomingMessage, response: ServerResponse) {
    const session = sessionOf(request)
    const form = new URLSearchParams(await readBody(request))
    const csrf = Buffer.from(form.get('csrf') ?? '')
    if (!session?.user || !equal(csrf, Buffer.from(session.csrf))) {
      send(response, 403, problemPage('This sign-out form has expired. Reload the page.'))
      return
    }
    sessions.delete(session.id)
    setCookie(response, undefined)
    const endSession = oidc.buildEndSessionUrl(provider, {
      id_token_hint: session.user.idToken,
      post_logout_redirect_uri: `${config.baseUrl}/`,
    })
    redirect(response, endSession.href)
  }

  return async (request: IncomingMessage, response: ServerResponse) => {
    try {
      const path = new URL(request.url ?? '/', config.baseUrl).pathname
      const route = `${request.method} ${path}`
      if (route === 'GET /') {
        const session = sessionOf(request)
        send(response, 200, homePage(session?.user, session?.csrf))
      } else if (route === 'GET /login') await login(request, response)
      else if (route === 'GET /callback') await callback(request, response)
      else if (route === 'POST /logout') await logout(request, response)
      else send(response, 404, problemPage('There is no such page.'))
    } catch (error) {
      console.error(error instanceof Error ? error.message : error)
      if (!response.headersSent)
        send(response, 502, problemPage('Portcullis could not be reached.'))
      else response.end()
    }
  }
}

const stringOf = (value: unknown) => (typeof value === 'string' ? value : undefined)

const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b)

/** A small form body (the sign-out form's one field); anything larger is cut off. */
async function readBody(request: IncomingMessage, limit = 4096): Promise<string> {
  let body = ''
  for await (const chunk of request) {
    body += chunk
    if (body.length > limit) break
  }
  return body.slice(0, limit)
}
