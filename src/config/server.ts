import { type CorsConfig, parseCorsOrigins } from '../http/cors.js'
import { parseTrustProxy, type TrustProxy } from '../http/trust-proxy.js'
import {
  bool,
  boolVariable,
  ConfigError,
  type Env,
  int,
  intVariable,
  oneOf,
  parsed,
  type Row,
  row,
  textVariable,
  variable,
} from './define.js'

export type NodeEnv = 'development' | 'production' | 'test'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Where the process listens. */
export interface ListenConfig {
  host: string
  port: number
}

/** What `buildApp` needs besides the services: the HTTP server's limits, logging and CORS. */
export interface HttpConfig {
  requestTimeoutMs: number
  /** Node server timeouts besides the request timeout: all headers, and idle keep-alive. */
  headersTimeoutMs: number
  keepAliveTimeoutMs: number
  logLevel: LogLevel
  /** Whose `X-Forwarded-For` is believed: nobody, a hop count, or proxy addresses/CIDRs. */
  trustProxy: TrustProxy
  /** Event-loop lag past which new requests get 503; 0 disables load shedding. */
  maxEventLoopDelayMs: number
  cors: CorsConfig
}

const nodeEnv = textVariable('NODE_ENV', 'development')
const host = textVariable('PORTCULLIS_HOST', '127.0.0.1')
const port = intVariable('PORTCULLIS_PORT', 8000, 0, 65535)
const requestTimeout = intVariable('PORTCULLIS_REQUEST_TIMEOUT_MS', 10_000, 1000, 600_000)
// Default: 5000, or the request timeout when that is shorter.
const headersTimeout = intVariable('PORTCULLIS_HEADERS_TIMEOUT_MS', 5000, 1000, 600_000)
const keepAliveTimeout = intVariable('PORTCULLIS_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000)
const logLevel = textVariable('PORTCULLIS_LOG_LEVEL', 'info')
const trustProxy = variable('PORTCULLIS_TRUST_PROXY', '`false` (trust nobody)')
const maxEventLoopDelay = intVariable('PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000)
const corsOrigins = variable('PORTCULLIS_CORS_ORIGINS', 'none (CORS off)')
const corsCredentials = boolVariable('PORTCULLIS_CORS_CREDENTIALS', false)

export const serverRows: Row[] = [
  row(
    nodeEnv,
    '`production` refuses to start without `PORTCULLIS_ISSUER`, and the issuer must then be an `https://` URL (terminate TLS at a proxy: [deployment](docs/deployment.md)); it also refuses `PORTCULLIS_RATE_LIMITS=false`, and refuses to start without `PORTCULLIS_KEY_ENCRYPTION_KEY` unless `PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true`',
  ),
  row(host, 'Interface to listen on'),
  row(port, 'Port (0 to 65535; 0 picks a free one)'),
]

export const httpRows: Row[] = [
  row(
    requestTimeout,
    'Whole-request timeout: a slow or stalled body gets 408 `request_timeout` and the connection is closed; a connection silent for this plus 2 s is closed',
  ),
  row(
    headersTimeout,
    "The request line and all headers must arrive within this (slowloris defence; 408); at most `PORTCULLIS_REQUEST_TIMEOUT_MS`. Both timeouts are checked every second. Headers are limited to 16 KiB in total (Node's default; beyond it, 431)",
  ),
  row(
    keepAliveTimeout,
    "An idle keep-alive connection is closed after this. Keep it above your proxy's upstream idle timeout (nginx: 60 s); lower it (e.g. `5000`) when clients connect directly",
  ),
  row(
    logLevel,
    `${logLevels.map((l) => `\`${l}\``).join(' ')}. JSON lines on standard output, one access line per request. They are written in batches (once 3 KiB wait, or every 250 ms), so a line normally appears within a few hundred milliseconds of being logged (later only when standard output itself is slow). What is left is written when the process exits, after a stop or an uncaught exception, but not after a \`SIGKILL\`, a native crash or an out-of-memory kill`,
  ),
  row(
    trustProxy,
    'Whose `X-Forwarded-For` gives the client IP: comma-separated proxy addresses or CIDRs, IPv4 or IPv6 (`10.0.0.0/8,fd00::/8`; also `loopback`, `linklocal`, `uniquelocal`), or a hop count (`1`: whoever connects, so only when nothing but the proxy can reach the port). `X-Real-IP` is never read. `true` is refused',
  ),
  row(
    corsOrigins,
    'Comma-separated exact origins allowed to call the API from a browser, as browsers send them (`https://app.example.com`, `http://localhost:5173`): no path, wildcard or default port; compared as whole strings. `*` alone allows any origin (then without credentials)',
  ),
  row(
    corsCredentials,
    'Send `Access-Control-Allow-Credentials: true` to the listed origins (cookies); refused with `*`',
  ),
  row(
    maxEventLoopDelay,
    'When the event loop runs this late, new requests get 503 `temporarily_unavailable` with `Retry-After` until it catches up; `/healthz` still answers. `0` turns it off',
  ),
]

export function readNodeEnv(env: Env): NodeEnv {
  return oneOf(env, nodeEnv, ['development', 'production', 'test'])
}

export function readListen(env: Env): ListenConfig {
  return { host: env[host.name] || host.fallback, port: int(env, port) }
}

function readCors(env: Env): CorsConfig {
  const origins = parsed(env, corsOrigins.name, parseCorsOrigins)
  const credentials = bool(env, corsCredentials)
  if (credentials && origins.includes('*')) {
    throw new ConfigError(
      'PORTCULLIS_CORS_CREDENTIALS=true cannot be combined with PORTCULLIS_CORS_ORIGINS=*: list the exact origins',
    )
  }
  return { origins, credentials }
}

export function readHttp(env: Env): HttpConfig {
  const requestTimeoutMs = int(env, requestTimeout)
  const headersTimeoutMs = int(env, headersTimeout, Math.min(5000, requestTimeoutMs))
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `PORTCULLIS_HEADERS_TIMEOUT_MS must not exceed PORTCULLIS_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    )
  }
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: int(env, keepAliveTimeout),
    logLevel: oneOf(env, logLevel, logLevels),
    trustProxy: parsed(env, trustProxy.name, parseTrustProxy),
    cors: readCors(env),
    maxEventLoopDelayMs: int(env, maxEventLoopDelay),
  }
}
