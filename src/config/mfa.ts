import type { RoleTable } from '../auth/roles.js'
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

/** Second factors, passkeys and step-up. */
export interface MfaConfig {
  /**
   * How recent a multi-factor sign-in must be for a sensitive action (RFC 9470 `max_age`):
   * removing a factor, new recovery codes, changing the password or email, deleting the account.
   */
  stepUpMaxAgeSeconds: number
  /** Whether the `/admin` API also needs a recent multi-factor sign-in (of admins with a factor). */
  adminRequireMfa: boolean
  /** Users holding one of these roles must enroll a factor before they get tokens. */
  requiredRoles: readonly string[]
  /** WebAuthn: the relying party ID (the issuer's host name). */
  rpId: string
  /** WebAuthn: the origins a passkey ceremony may come from (default: the issuer's origin). */
  origins: readonly string[]
}

const stepUpMaxAge = intVariable(
  'PORTCULLIS_MFA_STEP_UP_MAX_AGE',
  600,
  60,
  86400,
  '`600` (10 minutes)',
)
const adminRequireMfa = boolVariable('PORTCULLIS_ADMIN_REQUIRE_MFA', false)
const requiredRoles = variable('PORTCULLIS_MFA_REQUIRED_ROLES', 'none')
const origins = variable('PORTCULLIS_WEBAUTHN_ORIGINS', "the issuer's origin")

export const mfaRows: Row[] = [
  row(
    stepUpMaxAge,
    'Seconds a multi-factor sign-in stays recent enough for sensitive actions (removing a factor, new recovery codes, password or email change, deleting the account; RFC 9470 step-up)',
  ),
  row(
    adminRequireMfa,
    'Whether the `/admin` API needs a recent multi-factor sign-in (RFC 9470 step-up) from admins who have a factor',
  ),
  row(
    requiredRoles,
    'Space-separated roles (e.g. `admin`) whose users must enroll a second factor before they get tokens',
  ),
  row(
    origins,
    "Space-separated origins passkey ceremonies may come from (each's host must be the issuer's host or end in `.` + it); the WebAuthn relying party ID is the issuer's host name",
  ),
]

/** The origins, each `scheme://host[:port]`, within the relying party ID (WebAuthn §5.1.3). */
function readOrigins(env: Env, rpId: string, issuer: string): string[] {
  const raw = env[origins.name]?.trim() ?? ''
  if (raw === '') return [new URL(issuer).origin]
  const list = [...new Set(raw.split(/\s+/))]
  for (const value of list) {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw new ConfigError(`${origins.name} must list origins (got "${value}")`)
    }
    if (url.origin !== value) {
      throw new ConfigError(`${origins.name}: "${value}" is not an origin (scheme://host[:port])`)
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigError(
        `${origins.name}: "${value}" is not on the issuer's host ${rpId} (the WebAuthn relying party ID)`,
      )
    }
  }
  return list
}

export function readMfa(env: Env, issuer: string, roles: RoleTable): MfaConfig {
  const raw = env[requiredRoles.name]?.trim() ?? ''
  const required = raw === '' ? [] : [...new Set(raw.split(/\s+/))]
  for (const role of required) {
    if (!Object.hasOwn(roles, role)) {
      throw new ConfigError(`${requiredRoles.name}: unknown role "${role}"`)
    }
  }
  const rpId = new URL(issuer).hostname
  return {
    stepUpMaxAgeSeconds: int(env, stepUpMaxAge),
    adminRequireMfa: bool(env, adminRequireMfa),
    requiredRoles: required,
    rpId,
    origins: readOrigins(env, rpId, issuer),
  }
}
