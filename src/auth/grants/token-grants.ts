import { ApiError } from '../../errors.js'
import type { TokenBody } from '../../wire/token-response.js'
import type { GrantType } from '../clients.js'
import { perMinute } from '../rate-limiter.js'
import { authorizationCodeGrant } from './authorization-code.js'
import { clientCredentialsGrant } from './client-credentials.js'
import {
  type Grant,
  type GrantContext,
  type GrantDeps,
  type GrantForm,
  type GrantPolicy,
  type GrantServices,
  present,
} from './grant.js'
import { mfaGrant, mfaGrantType } from './mfa.js'
import { passwordGrant } from './password.js'
import { refreshTokenGrant } from './refresh-token.js'

/** The grants of the token endpoint, by `grant_type`; a new grant type is one entry here. */
const grants = {
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [mfaGrantType]: mfaGrant,
} satisfies Record<TokenGrantType, Grant>

/** Every grant type of the token endpoint. */
export const tokenGrantTypes = Object.keys(grants) as TokenGrantType[]

/**
 * A `grant_type` the token endpoint answers: a client's grant types, and the password grant's
 * second step, which belongs to the password grant (a client allowed `password` may use it,
 * and it is off while the password grant is).
 */
export type TokenGrantType = GrantType | typeof mfaGrantType

/** The client grant type that allows `type`. */
const allowedBy = (type: TokenGrantType): GrantType => (type === mfaGrantType ? 'password' : type)

/**
 * The OAuth 2.0 grants (RFC 6749 §4.3, §4.4, §6) of the token endpoint, with no HTTP in sight:
 * the caller passes the form fields and a plain context (address, user agent, device token and
 * the calling client, already authenticated) and gets the token response or an ApiError from
 * the one catalogue. Throttling, rate limits, audit records and scope decisions happen here.
 */
export class TokenGrants {
  private readonly deps: GrantDeps

  /** `onIssued`: called with the grant type of each token response (the metrics count them). */
  constructor(
    services: GrantServices,
    policy: GrantPolicy,
    private readonly onIssued: (grantType: TokenGrantType) => void = () => {},
  ) {
    this.deps = { ...services, policy, perMinute: perMinute(policy.requestsPerMinute) }
  }

  /**
   * The grant type a `grant_type` parameter names; omitted or empty means `password`, which the
   * tutorial clients send without it. Anything else, and the password grant while
   * PORTCULLIS_PASSWORD_GRANT is off: 400 unsupported_grant_type, whoever asks (the route checks
   * it before authenticating the client).
   */
  grantType(requested: string | undefined): TokenGrantType {
    const type = present(requested) ?? 'password'
    if (!Object.hasOwn(grants, type)) {
      throw new ApiError('unsupported_grant_type', `grant_type "${type}" is not supported`)
    }
    if (allowedBy(type as TokenGrantType) === 'password' && !this.deps.policy.passwordGrant) {
      // RFC 9700 §2.4: the resource owner password credentials grant MUST NOT be used.
      throw new ApiError(
        'unsupported_grant_type',
        'the password grant is turned off on this server: sign in with the authorization code flow with PKCE (GET /authorize) instead',
      )
    }
    return type as TokenGrantType
  }

  /** Runs the grant for the calling client; 400 unauthorized_client when it may not use it. */
  async issue(
    grantType: TokenGrantType,
    form: GrantForm,
    context: GrantContext,
  ): Promise<TokenBody> {
    if (!context.client.grantTypes.includes(allowedBy(grantType))) {
      throw new ApiError('unauthorized_client', `this client may not use ${allowedBy(grantType)}`)
    }
    const body = await grants[grantType](this.deps, form, context)
    this.onIssued(grantType)
    return body
  }
}
