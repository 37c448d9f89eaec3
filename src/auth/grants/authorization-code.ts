import { invalidGrant, invalidRequest, invalidTarget } from '../../errors.js'
import type { TokenBody } from '../../wire/token-response.js'
import { codeShape, sha256, verifierMatches } from '../authorization/codes.js'
import { openidScope } from '../scopes.js'
import { type Grant, present } from './grant.js'
import { refuseUnenrolled } from './second-step.js'

/**
 * The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.5, OAuth 2.1 §4.1.3). The code must
 * be this client's, its `redirect_uri` repeated exactly, the `code_verifier` must prove the S256
 * challenge (constant-time), and the code must be unspent and unexpired; every failure is 400
 * invalid_grant, one description per cause, none telling more than that. The session starts in
 * the same store transaction that spends the code, so of concurrent exchanges exactly one wins;
 * a spent code presented again revokes the session its first exchange started (RFC 6749
 * §4.1.2, RFC 9700 §4.2.4).
 */
export const authorizationCodeGrant: Grant = async (deps, form, context) => {
  const { client } = context
  const code = present(form.code)
  if (code === undefined) throw invalidRequest('"code" is required')
  const redirectUri = present(form.redirect_uri)
  const verifier = present(form.code_verifier)
  const hash = codeShape.test(code) ? sha256(code) : null
  const record = hash === null ? null : await deps.codes.find(hash)
  const now = deps.clock.now()
  // Another client's code is as unknown as a made-up one (RFC 6749 §4.1.3).
  if (hash === null || record === null || record.clientId !== client.id) {
    throw invalidGrant('the authorization code is invalid, expired or was already used')
  }
  // RFC 6749 §4.1.3: present and identical if the authorization request included it.
  if (record.redirectUri !== '' && redirectUri !== record.redirectUri) {
    throw invalidGrant('redirect_uri does not repeat the authorization request exactly')
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required (PKCE, RFC 7636)')
  if (!verifierMatches(record, verifier)) {
    throw invalidGrant('code_verifier does not match the code_challenge')
  }
  const resource = present(form.resource)
  if (resource !== undefined && resource !== record.resource) {
    throw invalidTarget('resource must be the one of the authorization request')
  }
  const user = await deps.users.findById(record.userId)
  if (!user || user.disabled) {
    throw invalidGrant('the authorization code is invalid, expired or was already used')
  }
  // A role that requires a second factor: no tokens until one is enrolled.
  await refuseUnenrolled(deps, user)
  const meta = { ip: context.ip, userAgent: context.userAgent }
  const prepared = deps.sessions.prepare(user.id, client.id, record.scope, meta, {
    ...(client.grantTypes.includes('refresh_token')
      ? { refreshToken: true }
      : { refreshToken: false, lifetimeSeconds: deps.policy.accessTokenTtlSeconds }),
    resource: record.resource,
    browserSessionId: record.browserSessionId,
    amr: record.amr,
    authTime: record.authTime,
  })
  const redemption = await deps.codes.redeem(
    hash,
    new Date(now).toISOString(),
    prepared.session,
    prepared.refreshTokenHash,
  )
  const audit = { userId: user.id, clientId: client.id, ...meta }
  if (redemption.outcome === 'reused') {
    await deps.audit.record({
      type: 'authorize.code_reuse',
      outcome: 'failure',
      ...audit,
      detail: { session_id: redemption.code.sessionId },
    })
    throw invalidGrant(
      'the authorization code was already used; the tokens issued for it are revoked',
    )
  }
  if (redemption.outcome === 'invalid') {
    throw invalidGrant('the authorization code is invalid, expired or was already used')
  }
  const { session, refreshToken } = prepared
  await deps.audit.record({
    type: 'token.authorization_code',
    ...audit,
    detail: { session_id: session.id, scope: record.scope },
  })
  const issued = await deps.tokens.issue(
    user.id,
    client.id,
    record.scope,
    session.id,
    record.resource,
  )
  const body: TokenBody = {
    access_token: issued.token,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
    scope: record.scope,
  }
  if (!record.scope.split(' ').includes(openidScope)) return body
  const idToken = await deps.idTokens.issue({
    userId: user.id,
    clientId: client.id,
    nonce: record.nonce,
    authTime: record.authTime,
    amr: record.amr,
    sid: record.browserSessionId,
    accessToken: issued.token,
  })
  return { ...body, id_token: idToken }
}
