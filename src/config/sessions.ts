import type { SessionPolicy } from '../auth/sessions.js'
import { type Env, int, intVariable, type Row, row } from './define.js'

/** What the purge timer does and how often (see `startHousekeeping`). */
export interface HousekeepingConfig {
  purgeIntervalSeconds: number
  /** How long audit records are kept. */
  auditRetentionDays: number
}

const idle = intVariable(
  'PORTCULLIS_SESSION_IDLE_TTL',
  14 * 86400,
  60,
  366 * 86400,
  '`1209600` (14 days)',
)
const max = intVariable(
  'PORTCULLIS_SESSION_MAX_TTL',
  90 * 86400,
  60,
  5 * 366 * 86400,
  '`7776000` (90 days)',
)
const grace = intVariable('PORTCULLIS_REFRESH_GRACE_SECONDS', 0, 0, 60, '`0` (off)')
const purge = intVariable('PORTCULLIS_PURGE_INTERVAL', 3600, 10, 86400)
const retention = intVariable('PORTCULLIS_AUDIT_RETENTION_DAYS', 365, 1, 36_500)

export const sessionRows: Row[] = [
  row(idle, 'A session unused (not refreshed) this many seconds ends'),
  row(max, 'A session ends this many seconds after login, however it is used'),
  row(
    grace,
    'A retry of a just-spent refresh token within this many seconds gets the same successor again instead of counting as theft (0 to 60)',
  ),
]

export const housekeepingRows: Row[] = [
  row(purge, 'Seconds between purges of ended sessions and their refresh tokens'),
  row(retention, 'Audit records older than this are purged (with the hourly session purge)'),
]

/** The SessionService's policy. */
export function readSessions(env: Env): SessionPolicy {
  return {
    idleTtlSeconds: int(env, idle),
    absoluteTtlSeconds: int(env, max),
    graceSeconds: int(env, grace),
  }
}

export function readHousekeeping(env: Env): HousekeepingConfig {
  return { purgeIntervalSeconds: int(env, purge), auditRetentionDays: int(env, retention) }
}
