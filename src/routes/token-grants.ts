import type { FastifyRequest } from 'fastify'
import { accountKey } from '../auth/login-throttle.js'
import { builtinScopes } from '../auth/roles.js'
import { grantScopes, narrowScope, userScopes } from '../auth/scopes.js'
import { ApiError, invalidGrant, invalidRequest } from '../errors.js'
import { actorOf, userAgentOf } from '../http/actor.js'
import { clientKey } from '../http/client-ip.js'
import { perMinute } from '../http/rate-limit.js'
import type { Services } from '../services.js'
import type { ClientRecord } from '../store/store.js'

/** The form fields the grants read (all optional strings; empty means omitted, RFC 6749 §3.2). */
export interface GrantForm {
  username?: string | undefined
  password?: string | undefined
  refresh_token?: string | undefined
  scope?: string | undefined
  device_token?: string | undefined
}

/** A successful token response (RFC 6749 §5.1). */
export interface TokenBody {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  scope: string
  device_token?: string
}

export type Grant = (
  form: GrantForm,
  request: FastifyRequest,
  client: ClientRecord,
) => Promise<TokenBody>

// RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted".
export const present = (value: string | undefined) => (value === '' ? undefined : value)

/** The grants of POST /token, by grant_type. */
export function tokenGrants(services: Services): Record<string, Grant> {
  const { config, audit } = services

  async function respond(
    userId: string,
    client: ClientRecord,
    sessionId: string,
    scope: string,
    refreshToken: string | null,
  ): Promise<TokenBody> {
    const issued = await services.tokens.issue(userId, client.id, scope, sessionId)
    return {
      access_token: issued.token,
      token_type: 'Bearer' as const,
      expires_in: issued.expiresIn,
      ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
      scope,
    }
  }

  /** RFC 6749 §4.3, throttled and audited. */
  async function password(form: GrantForm, request: FastifyRequest, client: ClientRecord) {
    const username = present(form.username)
    const pass = present(form.password)
    if (username === undefined) throw invalidRequest('"username" is required')
    if (pass === undefined) throw invalidRequest('"password" is required')
    const requested = present(form.scope)
    // Scopes nobody could have are refused before any password work.
    grantScopes(requested, { offered: config.scopes.offered, allowed: client.scopes, defaults: [] })
    const throttled = config.limits.enabled
    // The lookup is cheap and looks the same for every login; the throttle then counts every
    // spelling of one account together, and unknown logins by their canonical text.
    const found = await services.users.findByLogin(username)
    const account = accountKey(found, username)
    const ip = clientKey(request.ip)
    const context = { clientId: client.id, ip: request.ip, userAgent: userAgentOf(request) }
    const attempt = throttled
      ? await services.throttle.reserve(account, ip, present(form.device_token))
      : null
    let result: Awaited<ReturnType<typeof services.users.authenticate>>
    try {
      result = await services.users.authenticate(username, pass, { found })
    } catch (error) {
      await attempt?.release()
      throw error
    }
    if (!result.ok) {
      const lockouts = (await attempt?.failed()) ?? []
      await audit.record({
        type: 'login.failure',
        outcome: 'failure',
        userId: result.userId,
        ...context,
        detail: { reason: result.reason },
      })
      if (lockouts.length > 0) {
        await audit.record({
          type: 'login.lockout',
          outcome: 'failure',
          userId: result.userId,
          ...context,
          detail: { lockouts },
        })
      }
      throw invalidGrant('invalid username or password')
    }
    const { user } = result
    const deviceToken = await attempt?.succeeded()
    const scope = grantScopes(requested, {
      offered: config.scopes.offered,
      allowed: userScopes(config.roles, user, client),
      defaults: config.scopes.defaults,
    })
    // RFC 6749 §5.1: the refresh token is optional; a client that may not use the refresh_token
    // grant gets none (its session still carries the access tokens' sid).
    const { session, refreshToken } = await services.sessions.start(
      user.id,
      client.id,
      scope,
      { ip: request.ip, userAgent: userAgentOf(request) },
      client.grantTypes.includes('refresh_token')
        ? { refreshToken: true }
        : { refreshToken: false, lifetimeSeconds: config.tokens.ttlSeconds },
    )
    await audit.record({
      type: 'login.success',
      userId: user.id,
      ...context,
      detail: { session_id: session.id, scope },
    })
    const body = await respond(user.id, client, session.id, scope, refreshToken)
    return deviceToken ? { ...body, device_token: deviceToken } : body
  }

  /** RFC 6749 §6 with rotation; the scope also narrows to what the user's roles allow now. */
  async function refreshToken(form: GrantForm, request: FastifyRequest, client: ClientRecord) {
    if (config.limits.enabled) {
      await services.rateLimiter.hit('refresh', clientKey(request.ip), perMinute(services))
    }
    const token = present(form.refresh_token)
    if (token === undefined) throw invalidRequest('"refresh_token" is required')
    const rotation = await services.sessions.refresh(token, client.id, present(form.scope), {
      ip: request.ip,
      userAgent: userAgentOf(request),
    })
    const user = await services.users.findById(rotation.session.userId)
    if (!user || user.disabled)
      throw invalidGrant('the refresh token is invalid, expired or revoked')
    const scope = narrowScope(rotation.scope, userScopes(config.roles, user, client))
    return respond(user.id, client, rotation.session.id, scope, rotation.refreshToken)
  }

  /** RFC 6749 §4.4: the client acts for itself; no refresh token (§4.4.3). */
  async function clientCredentials(form: GrantForm, request: FastifyRequest, client: ClientRecord) {
    if (client.secretHash === null) {
      throw new ApiError('unauthorized_client', 'client_credentials needs a confidential client')
    }
    if (config.limits.enabled) {
      await services.rateLimiter.hit('client-token', clientKey(request.ip), perMinute(services))
    }
    // The built-in scopes act on a user's own account; a token with no user never carries them.
    const allowed = client.scopes.filter((s) => !(builtinScopes as readonly string[]).includes(s))
    const scope = grantScopes(present(form.scope), {
      offered: config.scopes.offered,
      allowed,
      defaults: allowed,
    })
    const issued = await services.tokens.issueForClient(client.id, client.registrationId, scope)
    await audit.record({
      type: 'token.client_credentials',
      clientId: client.id,
      actor: actorOf(request, client.id),
      detail: { scope },
    })
    return {
      access_token: issued.token,
      token_type: 'Bearer' as const,
      expires_in: issued.expiresIn,
      scope,
    }
  }

  return { password, refresh_token: refreshToken, client_credentials: clientCredentials }
}
