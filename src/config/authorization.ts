import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  int,
  intVariable,
  type Row,
  row,
  variable,
} from './define.js'

/** The authorization code flow, the provider's browser sessions, the password grant, resources. */
export interface AuthorizationConfig {
  /**
   * Whether `POST /token` accepts `grant_type=password` (and an omitted grant type). On by
   * default for the tutorial's clients; RFC 9700 §2.4 says new apps must not use it.
   */
  passwordGrant: boolean
  /**
   * The resources (RFC 8707 §2) a token may be asked for with `resource`: absolute URIs without a
   * fragment, compared as exact strings; a token for one has it as `aud`. Empty: none.
   */
  resources: readonly string[]
  /** The provider's login session in a browser (the `__Host-` cookie after the login page). */
  browserSession: {
    /** It ends after this many seconds without an authorization request. */
    idleTtlSeconds: number
    /** It ends this many seconds after the login, however it is used. */
    absoluteTtlSeconds: number
  }
}

const passwordGrant = boolVariable('PORTCULLIS_PASSWORD_GRANT', true)
const resources = variable('PORTCULLIS_RESOURCES', 'none')
const loginIdle = intVariable(
  'PORTCULLIS_LOGIN_SESSION_IDLE_TTL',
  86400,
  300,
  30 * 86400,
  '`86400` (1 day)',
)
const loginMax = intVariable(
  'PORTCULLIS_LOGIN_SESSION_MAX_TTL',
  7 * 86400,
  300,
  366 * 86400,
  '`604800` (7 days)',
)

export const authorizationRows: Row[] = [
  row(
    passwordGrant,
    "Whether `POST /token` accepts the password grant (the tutorial's login). New apps should use the authorization code flow with PKCE instead (RFC 9700 §2.4); `false` refuses it with `unsupported_grant_type`",
  ),
  row(
    resources,
    'Space-separated absolute URIs of the APIs (RFC 8707 resources) a token may be asked for with `resource`; such a token has the resource as its `aud`',
  ),
  row(
    [loginIdle, loginMax],
    'The sign-in session of the hosted login page ends after this many seconds unused / after this many seconds in any case; then the user signs in again',
  ),
]

/** Each resource: an absolute URI without a fragment (RFC 8707 §2). */
function readResources(env: Env): string[] {
  const raw = env[resources.name]?.trim() ?? ''
  if (raw === '') return []
  const list = [...new Set(raw.split(/\s+/))]
  for (const value of list) {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw new ConfigError(`${resources.name} must list absolute URIs (got "${value}")`)
    }
    if (value.includes('#') || url.hash !== '') {
      throw new ConfigError(
        `${resources.name}: a resource must not have a fragment (got "${value}")`,
      )
    }
  }
  return list
}

export function readAuthorization(env: Env): AuthorizationConfig {
  const browserSession = {
    idleTtlSeconds: int(env, loginIdle),
    absoluteTtlSeconds: int(env, loginMax),
  }
  if (browserSession.idleTtlSeconds > browserSession.absoluteTtlSeconds) {
    throw new ConfigError(
      `${loginIdle.name} must not exceed ${loginMax.name} (got ${browserSession.idleTtlSeconds} > ${browserSession.absoluteTtlSeconds})`,
    )
  }
  return { passwordGrant: bool(env, passwordGrant), resources: readResources(env), browserSession }
}
