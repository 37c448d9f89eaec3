import type { Config } from '../config.js'

/**
 * A whole number of seconds in the largest unit that divides it: `900` → "15 minutes",
 * `1209600` → "14 days", `90` → "90 seconds".
 */
export function describeDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ]
  const [size, unit] = units.find(([size]) => seconds > 0 && seconds % size === 0) ?? [1, 'second']
  const count = seconds / size
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/**
 * The tag groups of the OpenAPI document in the order a newcomer needs them: an account and a
 * token first, then sessions and administration, and the probes last. Swagger UI shows the
 * groups in this order.
 */
export const openApiTags = [
  {
    name: 'users',
    description:
      'Register, read your account, verify or change your email, change your password, delete your account',
  },
  { name: 'tokens', description: 'Log in, refresh, revoke and introspect tokens (OAuth2)' },
  { name: 'sessions', description: 'Your sessions: list them, end one, log out everywhere' },
  { name: 'passkeys', description: 'Your passkeys (WebAuthn): register, list, rename, delete' },
  {
    name: 'admin',
    description: 'Users, roles, sessions, clients and the audit log (needs the `admin` scope)',
  },
  { name: 'keys', description: 'Public keys and metadata for services that verify tokens' },
  { name: 'meta', description: 'This API: the welcome and this OpenAPI document' },
  { name: 'health', description: 'Liveness and readiness probes for load balancers' },
]

/**
 * The `info.description` of the OpenAPI document. The lifetimes it states are the running
 * configuration's, so the page never promises a lifetime the server does not keep.
 */
export function apiDescription(config: Config): string {
  const session = config.sessions
  const grace =
    session.graceSeconds > 0
      ? `, unless it is a retry within ${describeDuration(session.graceSeconds)} (the grace window), which gets the same successor again`
      : ''
  return [
    'A secure authentication API: register, log in with the OAuth2 password form at `/token`, and call `/users/me` with the Bearer JWT. Use **Authorize** to log in from this page.',
    `**Token lifecycle.** A login starts a session and returns an access token (a JWT valid for ${describeDuration(config.tokens.ttlSeconds)}, carrying the session id \`sid\`) and a refresh token (opaque, single-use). \`grant_type=refresh_token\` spends the refresh token and returns a new pair. Presenting a spent refresh token again revokes the whole session (reuse detection, RFC 9700 §4.14.2)${grace}. Sessions end after ${describeDuration(session.idleTtlSeconds)} unused or ${describeDuration(session.absoluteTtlSeconds)} in all, on \`/logout\`, \`/logout/all\`, \`/revoke\` (RFC 7009), a password change (other sessions) or account deletion; their access tokens are then refused at once. Example: \`POST /token\` (password) → \`GET /users/me\` with the access token → \`POST /token\` (refresh_token) → \`POST /logout\`.`,
    "**Scopes and roles.** Every protected route lists the scopes it needs; a token without them gets 403 `insufficient_scope`. A user's roles decide which scopes a login may ask for (`user`: everything but `admin`; `admin`: everything). Tick `admin` in **Authorize** to call the admin API as an admin. Machine clients use `client_credentials`; resource servers may verify tokens with the JWKS or ask `/introspect`.",
  ].join('\n\n')
}
