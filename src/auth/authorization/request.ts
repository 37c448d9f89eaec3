import { ApiError, type ErrorCode, invalidRequest } from '../../errors.js'
import type { ClientRecord } from '../../store/store.js'
import { checkResourceScopes, requestedResource } from '../resources.js'
import { openidScope, requestScope } from '../scopes.js'
import type { AuthorizationRequest } from './outcome.js'

/** The parameters of an authorization request as received: a repeated one is an array. */
export type RawParams = Readonly<Record<string, string | readonly string[] | undefined>>

/** The parameters the authorization endpoint reads (and carries to the login and consent pages). */
export const authorizationParams = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'resource',
  'prompt',
  'max_age',
  'login_hint',
  'response_mode',
] as const

/** What the request checks need besides the parameters. */
export interface RequestPolicy {
  findClient(id: string): Promise<ClientRecord | null>
  /** Every scope the server offers. */
  scopes: readonly string[]
  /** The RFC 8707 resources the operator configured. */
  resources: readonly string[]
  /** Whether `openid` may be asked for (not with HS256 keys). */
  openid: boolean
}

/** How checking a request ended. */
export type CheckedRequest =
  | { kind: 'ok'; request: AuthorizationRequest }
  /** The client or redirect URI cannot be trusted: an error page, never a redirect. */
  | { kind: 'error_page'; error: ApiError }
  /** The redirect URI is trusted: send this error back to it (RFC 6749 §4.1.2.1). */
  | {
      kind: 'error'
      client: ClientRecord
      redirectUri: string
      state: string | null
      error: ApiError
    }

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
const challengeShape = /^[A-Za-z0-9_-]{43}$/
const maxAgeShape = /^\d{1,9}$/
const promptValues = new Set(['none', 'login', 'consent'])
/** Longest `state`, `nonce` or `login_hint` kept: a value is carried and stored, never grown. */
const maxValueLength = 1024

/** A parameter given once (undefined: absent or empty, RFC 6749 §3.2), or 'repeated'. */
function single(params: RawParams, name: string): string | undefined | typeof repeated {
  const value = params[name]
  if (Array.isArray(value)) return repeated
  return value === '' ? undefined : (value as string | undefined)
}
const repeated = Symbol('repeated')

const pageError = (description: string): CheckedRequest => ({
  kind: 'error_page',
  error: invalidRequest(description),
})

/**
 * The redirect URI this request names for `client`, or why none can be trusted. RFC 9700 §2.1:
 * exact string comparison with a registered URI; omitted only when exactly one is registered
 * (RFC 6749 §3.1.2.3).
 */
function redirectUriOf(client: ClientRecord, given: string | undefined): string | null {
  if (given === undefined) {
    return client.redirectUris.length === 1 ? (client.redirectUris[0] as string) : null
  }
  return client.redirectUris.includes(given) ? given : null
}

/**
 * Checks an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1, RFC 7636,
 * RFC 8707). The client and the redirect URI are checked first: until both are trusted, any
 * error is shown on a page (RFC 6749 §4.1.2.1: never redirect to an unverified URI, RFC 9700
 * §4.11 open redirection). After that, every error goes back to the client.
 */
export async function checkRequest(
  params: RawParams,
  policy: RequestPolicy,
): Promise<CheckedRequest> {
  const clientId = single(params, 'client_id')
  if (clientId === repeated) return pageError('client_id was given more than once')
  if (clientId === undefined) return pageError('client_id is required')
  const client = clientId.length <= 128 ? await policy.findClient(clientId) : null
  if (!client) {
    return { kind: 'error_page', error: new ApiError('invalid_client', 'unknown client_id') }
  }
  const givenUri = single(params, 'redirect_uri')
  if (givenUri === repeated) return pageError('redirect_uri was given more than once')
  const redirectUri = redirectUriOf(client, givenUri)
  if (redirectUri === null) {
    return pageError(
      givenUri === undefined
        ? 'redirect_uri is required: the client has not exactly one registered'
        : 'redirect_uri is not one registered for this client',
    )
  }
  const rawState = single(params, 'state')
  const state = typeof rawState === 'string' ? rawState : null
  const fail = (code: ErrorCode, description: string): CheckedRequest => ({
    kind: 'error',
    client,
    redirectUri,
    state,
    error: new ApiError(code, description),
  })
  const values: Record<string, string> = {}
  for (const name of authorizationParams) {
    const value = single(params, name)
    if (value === repeated) return fail('invalid_request', `${name} was given more than once`)
    if (value !== undefined) values[name] = value
  }
  for (const name of ['state', 'nonce', 'login_hint'] as const) {
    if ((values[name]?.length ?? 0) > maxValueLength) {
      return fail('invalid_request', `${name} is longer than ${maxValueLength} characters`)
    }
  }
  if (values.response_type === undefined)
    return fail('invalid_request', 'response_type is required')
  if (values.response_type !== 'code') {
    return fail('unsupported_response_type', 'only response_type=code is supported')
  }
  // OpenID Connect Core §6: request objects are optional; refusing them is the documented answer.
  if (single(params, 'request') !== undefined || single(params, 'request_uri') !== undefined) {
    return fail('invalid_request', 'request and request_uri (request objects) are not supported')
  }
  if (values.response_mode !== undefined && values.response_mode !== 'query') {
    return fail('invalid_request', 'only response_mode=query is supported')
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'this client may not use the authorization code flow')
  }
  // RFC 9700 §2.1.1 and OAuth 2.1: PKCE with S256 for every client; `plain` reveals the verifier.
  if (values.code_challenge === undefined) {
    return fail('invalid_request', 'code_challenge is required (PKCE, RFC 7636)')
  }
  if (values.code_challenge_method !== 'S256') {
    return fail('invalid_request', 'code_challenge_method must be S256')
  }
  if (!challengeShape.test(values.code_challenge)) {
    return fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)')
  }
  let scopes: readonly string[]
  let resource: string | null
  try {
    scopes = requestedScopes(values.scope, policy, client)
    resource = requestedResource(values.resource, policy.resources)
    // RFC 8707: `admin` is only ever granted in tokens for Portcullis itself.
    checkResourceScopes(scopes, resource)
  } catch (error) {
    if (error instanceof ApiError) return fail(error.code, error.description)
    throw error
  }
  const prompt = new Set((values.prompt ?? '').split(' ').filter((p) => p !== ''))
  const unknownPrompt = [...prompt].find((p) => !promptValues.has(p))
  if (unknownPrompt !== undefined) {
    return fail('invalid_request', `prompt must be none, login or consent (got ${unknownPrompt})`)
  }
  if (prompt.has('none') && prompt.size > 1) {
    return fail('invalid_request', 'prompt=none cannot be combined with another value')
  }
  if (values.max_age !== undefined && !maxAgeShape.test(values.max_age)) {
    return fail('invalid_request', 'max_age must be a non-negative integer (seconds)')
  }
  return {
    kind: 'ok',
    request: {
      client,
      redirectUri,
      state,
      scopes,
      codeChallenge: values.code_challenge,
      nonce: values.nonce ?? null,
      resource,
      prompt: prompt as Set<'none' | 'login' | 'consent'>,
      maxAge: values.max_age === undefined ? null : Number(values.max_age),
      loginHint: values.login_hint ?? null,
      params: values,
    },
  }
}

/**
 * The asked scopes, each once, in order: `openid` (a protocol switch any client may send) plus
 * offered scopes the client allows (else invalid_scope). Empty when `scope` was omitted: the
 * flow then grants the default scopes the user may have.
 */
function requestedScopes(raw: string | undefined, policy: RequestPolicy, client: ClientRecord) {
  const tokens = [...new Set((raw ?? '').split(' ').filter((s) => s !== ''))]
  if (!policy.openid && tokens.includes(openidScope)) {
    throw new ApiError(
      'invalid_scope',
      'openid needs an asymmetric signing key (PORTCULLIS_JWT_ALG=ES256 or EdDSA); this server signs with a shared secret (HS256)',
    )
  }
  const others = tokens.filter((s) => s !== openidScope)
  const checked =
    others.length === 0 ? [] : (requestScope(others.join(' '), policy.scopes, client.scopes) ?? [])
  return tokens.includes(openidScope) ? [openidScope, ...checked] : checked
}
