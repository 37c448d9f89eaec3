import pino, { type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config/server.js'
import { loggerOptions } from './http/logger.js'

/** The process's two loggers, writing to one destination. */
export interface Loggers {
  /** Redacting logger: Fastify's, the audit sink's, the timers' errors. */
  app: Logger
  /** Access lines carry the request id; pid and hostname on each would only cost bytes. */
  access: Logger
}

/**
 * Standard output, written asynchronously so a slow stdout never stalls requests; pino writes
 * what is left synchronously when the process exits normally, through `process.exit` or an
 * uncaught exception (not on SIGKILL or a V8 out-of-memory crash).
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false })
}

/** The loggers at `level` into `destination` (by default standard output, see above). */
export function createLoggers(
  level: LogLevel,
  destination: DestinationStream = stdoutDestination(),
): Loggers {
  return {
    app: pino(loggerOptions(level), destination),
    access: pino({ level, base: null }, destination),
  }
}

/** Loggers that write nothing: the CLI's (its audit records go to the database only). */
export const silentLoggers = (): Loggers => ({
  app: pino({ level: 'silent' }),
  access: pino({ level: 'silent' }),
})
