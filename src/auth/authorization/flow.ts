import type { Clock } from '../../clock.js'
import { ApiError } from '../../errors.js'
import type { ClientRecord, Store } from '../../store/store.js'
import type { AuditService, RequestMeta } from '../audit.js'
import type { BrowserLogin } from '../browser-sessions.js'
import { scopesForResource } from '../resources.js'
import type { RoleTable } from '../roles.js'
import { grantScope, openidScope, userScopes } from '../scopes.js'
import { codeTtlSeconds, newCode } from './codes.js'
import type { AuthorizationRequest, AuthorizeOutcome, InteractionStep } from './outcome.js'
import { clientRedirect, errorRedirect } from './redirect.js'
import { checkRequest, type RawParams } from './request.js'

/** What the flow decides by. */
export interface AuthorizationPolicy {
  /** This server's issuer: the `iss` of every authorization response (RFC 9207). */
  issuer: string
  /** Every scope the server offers. */
  scopes: readonly string[]
  /** The scopes granted when a request asks for none (narrowed to what the user may have). */
  defaultScopes: readonly string[]
  roles: RoleTable
  /** The RFC 8707 resources the operator configured. */
  resources: readonly string[]
  /**
   * Whether `openid` may be asked for: not in the shared-secret (HS256) mode, where an ID token
   * would be signed with a key no client may hold (OpenID Connect Core §10.1 wants the client's
   * own secret for symmetric signatures; Portcullis's is the server's).
   */
  openid: boolean
}

export interface AuthorizationDeps {
  store: Store
  clock: Clock
  audit: AuditService
  /** The registered client (or the built-in one) with this id. */
  findClient(id: string): Promise<ClientRecord | null>
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The authorization endpoint's logic (RFC 6749 §4.1, OpenID Connect Core §3.1.2, RFC 7636,
 * RFC 9207, RFC 8707). No HTTP types: the routes pass the parameters and the browser session.
 * Security invariants: an untrusted client or redirect URI never gets a redirect; PKCE S256 is
 * required of every client; a code is 256 random bits, stored only as its SHA-256, bound to the
 * client, redirect URI, challenge, scope, nonce and resource, and lives 60 seconds.
 */
export class AuthorizationFlow {
  constructor(
    private readonly deps: AuthorizationDeps,
    private readonly policy: AuthorizationPolicy,
  ) {}

  /**
   * Runs an authorization request: checks `params` (the query of `GET /authorize`, or the hidden
   * fields of the login and consent forms; a parameter given twice is an array, and refused),
   * then decides by the browser session `browser` (null: none) and the page's `step` whether to
   * ask for a login, a consent, or to redirect to the client with a code or an error. Never
   * throws for a bad request: every protocol error is an outcome (error page or redirect).
   * `meta` (the browser's address and user agent) goes into the audit records.
   */
  async authorize(
    params: RawParams,
    browser: BrowserLogin | null,
    step?: InteractionStep,
    meta: RequestMeta = { ip: null, userAgent: null },
  ): Promise<AuthorizeOutcome> {
    const { issuer } = this.policy
    const checked = await checkRequest(params, {
      findClient: this.deps.findClient,
      scopes: this.policy.scopes,
      resources: this.policy.resources,
      openid: this.policy.openid,
    })
    if (checked.kind === 'error_page') return checked
    if (checked.kind === 'error') {
      const location = errorRedirect(checked.redirectUri, issuer, checked.state, checked.error)
      return { kind: 'redirect', location }
    }
    const request = withStep(checked.request, step)
    const fail = (error: ApiError): AuthorizeOutcome => ({
      kind: 'redirect',
      location: errorRedirect(request.redirectUri, issuer, request.state, error),
    })
    const silent = request.prompt.has('none')
    if (this.needsLogin(request, browser, step)) {
      if (silent) return fail(apiError('login_required', 'the user is not signed in'))
      return { kind: 'login', request }
    }
    const login = browser as BrowserLogin
    let scope: string
    try {
      scope = this.grantedScope(request, login)
    } catch (error) {
      if (error instanceof ApiError) return fail(error)
      throw error
    }
    const audit = { userId: login.user.id, clientId: request.client.id, ...meta }
    if (step !== undefined && 'consent' in step && step.consent === 'deny') {
      await this.deps.audit.record({
        type: 'authorize.denied',
        outcome: 'failure',
        ...audit,
        detail: { scope },
      })
      return fail(apiError('access_denied', 'the user denied the request'))
    }
    const consented = step !== undefined && 'consent' in step && step.consent === 'allow'
    const granted = scope === '' ? [] : scope.split(' ')
    if (consented) {
      await this.deps.store.consents.grant(
        login.user.id,
        request.client.id,
        granted,
        iso(this.deps.clock.now()),
      )
    } else if (await this.needsConsent(request, login, granted)) {
      if (silent) return fail(apiError('consent_required', 'the user has not allowed this client'))
      return { kind: 'consent', request, scopes: granted }
    }
    const code = await this.issueCode(request, login, scope)
    await this.deps.audit.record({ type: 'authorize.code', ...audit, detail: { scope } })
    return {
      kind: 'redirect',
      location: clientRedirect(request.redirectUri, issuer, request.state, { code }),
    }
  }

  /**
   * OpenID Connect Core §3.1.2.3: a login is needed without a browser session, for
   * `prompt=login` (unless the user just signed in), and when the last authentication is older
   * than `max_age` seconds.
   */
  private needsLogin(
    request: AuthorizationRequest,
    browser: BrowserLogin | null,
    step: InteractionStep | undefined,
  ): boolean {
    if (browser === null) return true
    const fresh = step !== undefined && 'freshLogin' in step
    if (fresh) return false
    if (request.prompt.has('login')) return true
    if (request.maxAge === null) return false
    const age = this.deps.clock.now() - Date.parse(browser.session.authTime)
    return age > request.maxAge * 1000
  }

  /**
   * The scope the code carries: the asked scopes, all of which the user's roles must grant
   * (else invalid_scope), or the defaults the user may have when none was asked; plus `openid`
   * when asked.
   */
  private grantedScope(request: AuthorizationRequest, login: BrowserLogin): string {
    const asked = request.scopes.filter((s) => s !== openidScope)
    // RFC 8707: a token for a resource never carries a Portcullis-only scope (admin).
    const allowed = scopesForResource(
      userScopes(this.policy.roles, login.user, request.client),
      request.resource,
    )
    const omitted = request.params.scope === undefined
    const scope = grantScope(omitted ? null : asked, allowed, this.policy.defaultScopes)
    const openid = request.scopes.includes(openidScope) ? [openidScope] : []
    return [...openid, ...(scope === '' ? [] : scope.split(' '))].join(' ')
  }

  /**
   * OpenID Connect Core §3.1.2.1, §3.1.2.4: `prompt=consent` always asks; otherwise first-party
   * clients never ask, and others whenever the user has not allowed every granted scope before.
   */
  private async needsConsent(
    request: AuthorizationRequest,
    login: BrowserLogin,
    granted: readonly string[],
  ): Promise<boolean> {
    if (request.prompt.has('consent')) return true
    if (request.client.firstParty) return false
    const consent = await this.deps.store.consents.find(login.user.id, request.client.id)
    if (consent === null) return true
    return granted.some((s) => !consent.scopes.includes(s))
  }

  private async issueCode(request: AuthorizationRequest, login: BrowserLogin, scope: string) {
    const { code, hash } = newCode()
    const now = this.deps.clock.now()
    await this.deps.store.authorizationCodes.insert({
      hash,
      clientId: request.client.id,
      userId: login.user.id,
      // '' when the request left it out (one registered URI): then the token request need not
      // repeat it (RFC 6749 §4.1.3).
      redirectUri: request.params.redirect_uri === undefined ? '' : request.redirectUri,
      codeChallenge: request.codeChallenge,
      scope,
      nonce: request.nonce,
      resource: request.resource,
      browserSessionId: login.session.id,
      authTime: login.session.authTime,
      amr: [...login.session.amr],
      createdAt: iso(now),
      expiresAt: iso(now + codeTtlSeconds * 1000),
      usedAt: null,
      sessionId: null,
    })
    return code
  }
}

/**
 * The request as the next page must carry it: after a fresh login, `prompt=login` and `max_age`
 * are satisfied and dropped, so the login page cannot come back; after a consent answer,
 * `prompt=consent` likewise.
 */
function withStep(request: AuthorizationRequest, step: InteractionStep | undefined) {
  if (step === undefined) return request
  const satisfied: 'login' | 'consent' = 'freshLogin' in step ? 'login' : 'consent'
  const prompt = new Set(request.prompt)
  prompt.delete(satisfied)
  const params: Record<string, string> = { ...request.params }
  if (prompt.size === 0) delete params.prompt
  else params.prompt = [...prompt].join(' ')
  if (satisfied === 'login') delete params.max_age
  return {
    ...request,
    prompt,
    maxAge: satisfied === 'login' ? null : request.maxAge,
    params,
  }
}

const apiError = (
  code: 'login_required' | 'consent_required' | 'access_denied',
  description: string,
) => new ApiError(code, description)
