import type { ThrottlePolicy } from '../auth/login-throttle.js'
import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  int,
  intVariable,
  type Row,
  row,
} from './define.js'
import type { NodeEnv } from './server.js'

/** Login throttling (the LoginThrottle's policy) and per-IP rate limits; `enabled` false relaxes them all. */
export interface LimitsConfig {
  enabled: boolean
  login: ThrottlePolicy
  registerPerHour: number
  requestsPerMinute: number
}

const enabled = boolVariable('PORTCULLIS_RATE_LIMITS', true)
const ipFailures = intVariable('PORTCULLIS_LOGIN_IP_FAILURES', 50, 1, 1_000_000)
const ipWindow = intVariable('PORTCULLIS_LOGIN_IP_WINDOW', 900, 1, 86_400)
const delayAfter = intVariable('PORTCULLIS_LOGIN_DELAY_AFTER', 5, 1, 100)
const slowAfter = intVariable('PORTCULLIS_LOGIN_SLOW_AFTER', 20, 1, 100)
// NIST SP 800-63B-4: at most 100 consecutive failed attempts per account.
const hardLimit = intVariable('PORTCULLIS_LOGIN_HARD_LIMIT', 100, 1, 100)
const maxDelay = intVariable('PORTCULLIS_LOGIN_MAX_DELAY', 900, 60, 86_400)
const register = intVariable('PORTCULLIS_REGISTER_LIMIT', 20, 1, 1_000_000)
const requests = intVariable('PORTCULLIS_REQUEST_LIMIT', 300, 1, 1_000_000)

export const limitRows: Row[] = [
  row(
    enabled,
    'Login throttling and per-IP rate limits ([docs/threat-model.md](docs/threat-model.md)); `false` only for benchmarks and tests: refused when `NODE_ENV=production`',
  ),
  row(
    [ipFailures, ipWindow],
    'Failed logins one IP may make per window (seconds), across accounts, before 429',
  ),
  row(
    delayAfter,
    'Consecutive failures of one account from one IP before that IP waits 1 minute, doubling',
  ),
  row(
    slowAfter,
    'Consecutive failures of one account from all IPs before devices that never logged in wait',
  ),
  row(hardLimit, 'Consecutive failures per account before the maximum delay (NIST: at most 100)'),
  row(maxDelay, 'Longest delay, in seconds'),
  row(register, 'Registrations per IP per hour'),
  row(
    requests,
    'Requests per IP per minute to `/revoke`, `/introspect`, the refresh and client_credentials grants, failed client authentications, and unknown routes',
  ),
]

export function readLimits(env: Env, nodeEnv: NodeEnv): LimitsConfig {
  const on = bool(env, enabled)
  // Without throttling, online guessing is bounded only by hashing speed (NIST SP 800-63B-4 §3.2.2).
  if (nodeEnv === 'production' && !on) {
    throw new ConfigError(
      'PORTCULLIS_RATE_LIMITS=false is refused when NODE_ENV=production: login throttling and rate limits must stay on',
    )
  }
  return {
    enabled: on,
    login: {
      ipFailures: int(env, ipFailures),
      ipWindowSeconds: int(env, ipWindow),
      pairFailures: int(env, delayAfter),
      accountFailures: int(env, slowAfter),
      accountHardLimit: int(env, hardLimit),
      maxDelaySeconds: int(env, maxDelay),
    },
    registerPerHour: int(env, register),
    requestsPerMinute: int(env, requests),
  }
}
