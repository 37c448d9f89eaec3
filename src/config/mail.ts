import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  int,
  intVariable,
  type Row,
  row,
  textVariable,
  variable,
} from './define.js'
import type { NodeEnv } from './server.js'
import { httpUrl } from './tokens.js'

/** Where and how mail goes out (the transport and the outbox sender). */
export interface MailDeliveryConfig {
  /** `smtp://` or `smtps://` URL with credentials; null prints messages to the console (development only). */
  smtpUrl: string | null
  /** The `From` of every message (`Name <address>` or an address). */
  from: string
  /** Attempts before a message is given up. */
  maxAttempts: number
  /** The wait after the first failure, doubled at each further one (capped at an hour). */
  retrySeconds: number
  /** How long one SMTP delivery may take before it counts as failed; a claim lasts twice this. */
  sendTimeoutSeconds: number
  /** How often each instance looks for due messages. */
  pollSeconds: number
}

/** The account-recovery and email flows: tokens, links, messages and their limits. */
export interface EmailFlowsConfig {
  /** Whether the flows are on (`POST /password/forgot`, verification, email change). */
  enabled: boolean
  /** Shown in messages and on the hosted pages. */
  productName: string
  /** Where links in messages point: `<publicUrl>/reset-password#token=…`; no trailing slash. */
  publicUrl: string
  resetTtlSeconds: number
  verifyTtlSeconds: number
  /** The password grant refuses a user whose address is not verified (`email_not_verified`). */
  requireVerified: boolean
  /** Requests per IP per hour to `forgot`, `resend` and email change. */
  perIpPerHour: number
  /** Messages per address per hour from those endpoints (counted whether or not it is known). */
  perAddressPerHour: number
}

export interface MailConfig {
  delivery: MailDeliveryConfig
  flows: EmailFlowsConfig
}

const smtpUrl = variable('PORTCULLIS_SMTP_URL', 'none (development prints mail)')
const from = variable('PORTCULLIS_MAIL_FROM', '`<product> <no-reply@<issuer host>>`')
const productName = textVariable('PORTCULLIS_PRODUCT_NAME', 'Portcullis')
const publicUrl = variable('PORTCULLIS_PUBLIC_URL', 'the issuer')
const flows = boolVariable('PORTCULLIS_EMAIL_FLOWS', true)
const resetTtl = intVariable('PORTCULLIS_RESET_TOKEN_TTL', 1800, 300, 86_400)
const verifyTtl = intVariable('PORTCULLIS_VERIFY_TOKEN_TTL', 86_400, 3600, 604_800)
const requireVerified = boolVariable('PORTCULLIS_REQUIRE_VERIFIED_EMAIL', false)
const perIp = intVariable('PORTCULLIS_MAIL_IP_LIMIT', 20, 1, 1_000_000)
const perAddress = intVariable('PORTCULLIS_MAIL_ADDRESS_LIMIT', 5, 1, 1000)
const attempts = intVariable('PORTCULLIS_MAIL_MAX_ATTEMPTS', 10, 1, 100)
const retry = intVariable('PORTCULLIS_MAIL_RETRY_SECONDS', 30, 1, 3600)
const timeout = intVariable('PORTCULLIS_MAIL_SEND_TIMEOUT', 30, 1, 600)
const poll = intVariable('PORTCULLIS_MAIL_POLL_SECONDS', 5, 1, 3600)

export const mailRows: Row[] = [
  row(
    smtpUrl,
    'SMTP server for outgoing mail, `smtp://user:pass@host:587` (STARTTLS required; `?tls=off` allows plaintext on loopback only) or `smtps://…:465`. Without it development prints each message to the console, and production refuses to start while the email flows are on',
  ),
  row(from, 'Sender of every message; required with `PORTCULLIS_SMTP_URL`'),
  row(productName, 'Product name in messages and on the hosted pages'),
  row(
    publicUrl,
    'Base URL of the pages that links in messages open (`/reset-password`, `/verify-email`): these hosted pages, or your own app',
  ),
  row(
    flows,
    'Email verification, password reset and email change (see [Email](#email)); `false` removes their endpoints',
  ),
  row(resetTtl, 'Password-reset token lifetime in seconds (300 to 86400)'),
  row(verifyTtl, 'Verification and email-change token lifetime in seconds (3600 to 604800)'),
  row(
    requireVerified,
    'The password grant refuses users whose address is not verified, and users without one (`email_not_verified`, only after a correct password)',
  ),
  row(
    [perIp, perAddress],
    'Requests per IP per hour, and messages per address per hour, for forgotten passwords, verification resends and email changes',
  ),
  row(attempts, 'Delivery attempts before a message is given up (see `portcullis mail status`)'),
  row(
    retry,
    'Wait after the first failed delivery, in seconds, doubling after each (at most 1 hour)',
  ),
  row(timeout, 'Seconds one SMTP delivery may take'),
  row(poll, 'Seconds between looks at the outbox'),
]

/** Whether `hostname` (as `URL` spells it) is this machine: 127.0.0.0/8, ::1 or localhost. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  )
}

/**
 * The SMTP URL: `smtp:` or `smtps:` with a host; ConfigError otherwise. The only query it takes
 * is `?tls=off` on `smtp:` to a loopback host (a local mail catcher): anywhere else plaintext
 * would expose the credentials and every token in transit.
 */
function readSmtpUrl(env: Env): string | null {
  const raw = env[smtpUrl.name]
  if (raw === undefined || raw === '') return null
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    // The URL may hold a password: never echo it.
    throw new ConfigError(`${smtpUrl.name} must be an smtp:// or smtps:// URL`)
  }
  if ((parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || !parsed.hostname) {
    throw new ConfigError(`${smtpUrl.name} must be an smtp:// or smtps:// URL`)
  }
  try {
    decodeURIComponent(parsed.username)
    decodeURIComponent(parsed.password)
  } catch {
    throw new ConfigError(
      `${smtpUrl.name}: the user name and password must be percent-encoded (a % followed by two hex digits)`,
    )
  }
  const query = [...parsed.searchParams]
  if (query.length > 0) {
    const tlsOff = query.length === 1 && query[0]?.[0] === 'tls' && query[0][1] === 'off'
    if (!tlsOff) throw new ConfigError(`${smtpUrl.name} takes no query other than ?tls=off`)
    if (parsed.protocol !== 'smtp:' || !isLoopback(parsed.hostname)) {
      throw new ConfigError(
        `${smtpUrl.name}: ?tls=off (plaintext) is allowed only with smtp:// to a loopback host (127.0.0.1, ::1, localhost)`,
      )
    }
  }
  return raw
}

/**
 * The mail section. Production refuses the email flows without SMTP (a console is no delivery),
 * and `PORTCULLIS_REQUIRE_VERIFIED_EMAIL` without the flows (nobody could ever verify).
 */
export function readMail(env: Env, nodeEnv: NodeEnv, issuer: string): MailConfig {
  const smtp = readSmtpUrl(env)
  const enabled = bool(env, flows)
  const required = bool(env, requireVerified)
  if (nodeEnv === 'production' && enabled && !smtp) {
    throw new ConfigError(
      `${smtpUrl.name} must be set when NODE_ENV=production and the email flows are on (or set ${flows.name}=false)`,
    )
  }
  if (required && !enabled) {
    throw new ConfigError(`${requireVerified.name}=true needs ${flows.name}=true`)
  }
  if (smtp && !env[from.name]) {
    throw new ConfigError(`${from.name} must be set when ${smtpUrl.name} is`)
  }
  const product = env[productName.name] || productName.fallback
  if (/[\r\n<>"]/.test(product)) {
    throw new ConfigError(`${productName.name} must not contain line breaks, <, > or "`)
  }
  const base = httpUrl(publicUrl.name, env[publicUrl.name] || issuer)
  if (nodeEnv === 'production' && !base.startsWith('https://')) {
    throw new ConfigError(`${publicUrl.name} must be an https URL when NODE_ENV=production`)
  }
  const sender = env[from.name] || `${product} <no-reply@${new URL(issuer).hostname}>`
  if (/[\r\n]/.test(sender)) throw new ConfigError(`${from.name} must be one line`)
  return {
    delivery: {
      smtpUrl: smtp,
      from: sender,
      maxAttempts: int(env, attempts),
      retrySeconds: int(env, retry),
      sendTimeoutSeconds: int(env, timeout),
      pollSeconds: int(env, poll),
    },
    flows: {
      enabled,
      productName: product,
      publicUrl: base,
      resetTtlSeconds: int(env, resetTtl),
      verifyTtlSeconds: int(env, verifyTtl),
      requireVerified: required,
      perIpPerHour: int(env, perIp),
      perAddressPerHour: int(env, perAddress),
    },
  }
}
