import { mfaGrantType } from '../auth/grants/mfa.js'
import { openidScope } from '../auth/scopes.js'
import type { Config } from '../config.js'

/** Where the OpenID Connect endpoints are, relative to the issuer: one place for every document. */
export const oidcPaths = {
  authorization: '/authorize',
  userinfo: '/userinfo',
  /** RP-Initiated Logout 1.0 §2; `/logout` is the API's Bearer logout (node-oidc-provider's path). */
  endSession: '/session/end',
} as const

const clientAuthMethods = ['none', 'client_secret_basic', 'client_secret_post']

/** The claims an ID token or /userinfo may carry (Discovery 1.0 §3 `claims_supported`). */
const claimsSupported = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'amr',
  'azp',
  'sid',
  'at_hash',
  'preferred_username',
  'name',
  'email',
  'email_verified',
]

/** The grant types `POST /token` accepts with this configuration. */
export function grantTypes(config: Config): string[] {
  return [
    'authorization_code',
    'refresh_token',
    'client_credentials',
    // The password grant's second step lives and dies with it.
    ...(config.authorization.passwordGrant ? ['password', mfaGrantType] : []),
  ]
}

/**
 * RFC 8414 §2 authorization server metadata, from the running configuration: the members both
 * documents share. The OpenID Provider document adds its own to exactly these, so the two can
 * never disagree on an endpoint, a grant type or an algorithm.
 */
export function authorizationServerMetadata(config: Config) {
  const url = (path: string) => `${config.tokens.issuer}${path}`
  return {
    issuer: config.tokens.issuer,
    authorization_endpoint: url(oidcPaths.authorization),
    token_endpoint: url('/token'),
    revocation_endpoint: url('/revoke'),
    introspection_endpoint: url('/introspect'),
    jwks_uri: url('/.well-known/jwks.json'),
    grant_types_supported: grantTypes(config),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // RFC 7636 §4.2 / RFC 9700 §2.1.1: S256 only, required of every client.
    code_challenge_methods_supported: ['S256'],
    // RFC 9207 §3: every authorization response carries `iss` (mix-up defence).
    authorization_response_iss_parameter_supported: true,
    // No `openid` in the shared-secret mode: the code flow refuses it there (see AuthorizationPolicy).
    scopes_supported: [
      ...(config.keys.alg === 'HS256' ? [] : [openidScope]),
      ...config.scopes.offered,
    ],
    // "none": the built-in first-party client and registered public clients.
    token_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    // Only registered clients allowed to introspect, always with their secret.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    access_token_signing_alg_values_supported: [config.keys.alg],
    service_documentation: url('/docs'),
  }
}

/** OpenID Connect Discovery 1.0 §3 provider metadata: the RFC 8414 members and OpenID's own. */
export function openIdProviderMetadata(config: Config) {
  const url = (path: string) => `${config.tokens.issuer}${path}`
  return {
    ...authorizationServerMetadata(config),
    userinfo_endpoint: url(oidcPaths.userinfo),
    end_session_endpoint: url(oidcPaths.endSession),
    subject_types_supported: ['public'],
    // ID tokens are signed by the key ring's signing key, as access tokens are.
    id_token_signing_alg_values_supported: [config.keys.alg],
    claims_supported: claimsSupported,
    prompt_values_supported: ['none', 'login', 'consent'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  }
}
