import { builtinScopes, parseRoles, type RoleTable } from '../auth/roles.js'
import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  headerSafe,
  type Row,
  row,
  textVariable,
  variable,
} from './define.js'

/** The scopes this server offers, and what a token gets when none are asked for. */
export interface ScopesConfig {
  /** Every scope offered: the built-in ones plus PORTCULLIS_SCOPES. */
  offered: string[]
  /** What a token gets when no `scope` is asked for (narrowed to what the user's roles allow). */
  defaults: string[]
}

/** The built-in public first-party client, and whether the password grant may use it. */
export interface ClientsConfig {
  builtinId: string
  /** When true, the password grant needs a registered client; the built-in one is refused. */
  requireClient: boolean
}

const scopes = textVariable('PORTCULLIS_SCOPES', 'email')
const defaults = variable('PORTCULLIS_DEFAULT_SCOPES', 'every offered scope but `admin`')
const roles = variable(
  'PORTCULLIS_ROLES',
  '`user` = every offered scope but `admin`; `admin` = every offered scope',
)
const clientId = textVariable('PORTCULLIS_CLIENT_ID', 'portcullis')
const requireClient = boolVariable('PORTCULLIS_REQUIRE_CLIENT', false)

export const accessRows: Row[] = [
  row(
    scopes,
    'Scopes offered besides the built-in `profile`, `sessions` and `admin` (e.g. `notes:read notes:write` for your other services); asking for any other is `invalid_scope`',
  ),
  row(
    defaults,
    "Scopes a token gets when none are requested, narrowed to what the user's roles (and the client) allow",
  ),
  row(
    roles,
    'Roles and the scopes they grant: `role=scope scope;role=scope…`. Roles not named keep their defaults; `admin` must grant `admin`. Example: `user=profile sessions;editor=profile notes:read notes:write`',
  ),
  row(
    clientId,
    "The built-in public first-party client's id (`client_id` claim of tokens issued without a registered client)",
  ),
  row(
    requireClient,
    '`true`: the password grant needs a registered client; the built-in one is refused (401 `invalid_client`)',
  ),
]

const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/ // RFC 6749 §3.3 scope-token

function scopeList(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const list = raw.trim().split(/\s+/)
  for (const scope of list) {
    if (!scopePattern.test(scope)) {
      throw new ConfigError(`${name} must be space-separated RFC 6749 scope tokens (got "${raw}")`)
    }
  }
  return list
}

export function readScopes(env: Env): ScopesConfig {
  const offered = [
    ...new Set([...builtinScopes, ...scopeList(env, scopes.name, scopes.fallback.split(' '))]),
  ]
  // The admin scope is never a default: an admin asks for it (least privilege).
  const chosen = scopeList(
    env,
    defaults.name,
    offered.filter((s) => s !== 'admin'),
  )
  for (const scope of chosen) {
    if (!offered.includes(scope)) {
      throw new ConfigError(
        `PORTCULLIS_DEFAULT_SCOPES must be a subset of the offered scopes (${offered.join(' ')})`,
      )
    }
  }
  return { offered, defaults: chosen }
}

/** Role name → scopes it grants. */
export function readRoles(env: Env, offered: string[]): RoleTable {
  const table = parseRoles(env[roles.name], offered)
  if (typeof table === 'string') throw new ConfigError(`PORTCULLIS_ROLES: ${table}`)
  return table
}

export function readClients(env: Env): ClientsConfig {
  return {
    builtinId: headerSafe(env, clientId, clientId.fallback),
    requireClient: bool(env, requireClient),
  }
}
