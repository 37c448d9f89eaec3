import { ApiError } from '../../errors.js'
import { clientKey } from '../client-key.js'
import { requestedResource } from '../resources.js'
import { builtinScopes } from '../roles.js'
import { grantScope, requestScope } from '../scopes.js'
import { type Grant, present } from './grant.js'

/**
 * The client_credentials grant (RFC 6749 §4.4): a confidential client acts for itself, rate
 * limited per client IP, audited; no refresh token (§4.4.3).
 */
export const clientCredentialsGrant: Grant = async (deps, form, context) => {
  const { client } = context
  if (client.secretHash === null) {
    throw new ApiError('unauthorized_client', 'client_credentials needs a confidential client')
  }
  await deps.rateLimiter.hit('client-token', clientKey(context.ip), deps.perMinute)
  // The built-in scopes act on a user's own account; a token with no user never carries them.
  const allowed = client.scopes.filter((s) => !(builtinScopes as readonly string[]).includes(s))
  const request = requestScope(present(form.scope), deps.policy.scopes, allowed)
  // RFC 8707 §2: a machine token may be for one of the configured APIs too (its `aud`).
  const resource = requestedResource(present(form.resource), deps.policy.resources)
  const scope = grantScope(request, allowed, allowed)
  const issued = await deps.tokens.issueForClient(client.id, client.registrationId, scope, resource)
  await deps.audit.record({
    type: 'token.client_credentials',
    clientId: client.id,
    actor: { id: client.id, ip: context.ip, userAgent: context.userAgent },
    detail: resource === null ? { scope } : { scope, resource },
  })
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope }
}
