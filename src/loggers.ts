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

/** The log destination of a process: pino's asynchronous sonic-boom. */
export type LogDestination = ReturnType<typeof pino.destination>

// POSIX guarantees that a write(2) of at most PIPE_BUF bytes (4096 on Linux) to a pipe is never
// interleaved with another writer's, and Linux keeps such a write whole on the journal's stream
// socket too: the workers of a cluster share one stdout, and writes of whole lines no larger than
// this keep every line whole (a single longer line is written alone).
const PIPE_BUF = 4096

/** Lines are gathered until at least this many bytes wait, then written (at most PIPE_BUF a call). */
export const LOG_BATCH_BYTES = 3072

/** The longest a line waits in the batch while traffic is light. */
export const LOG_FLUSH_MS = 250

/**
 * Standard output, written asynchronously so a slow stdout never stalls requests, and in
 * batches: one write(2) through libuv's thread pool per line cost about a sixth of the
 * `/users/me` throughput, one per {@link LOG_BATCH_BYTES} costs almost nothing. A line waits
 * for the next periodic flush, every {@link LOG_FLUSH_MS} (one period more when a write is still
 * in flight at that tick); pino writes what is left synchronously when the process exits through
 * `process.exit` or an uncaught exception (not on SIGKILL or a V8 out-of-memory crash, which lose
 * what waits). Lines that must be seen at once are followed by {@link flushLog}.
 */
export function stdoutDestination(): LogDestination {
  return pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxWrite: PIPE_BUF,
    periodicFlush: LOG_FLUSH_MS,
  })
}

/**
 * Writes what the batch holds now, also when a write is in flight (`flush` alone then does
 * nothing, and the rest would wait for the next period): for lines someone waits to see. Called
 * after the readiness lines (`Server listening at`, `portcullis ready`), so a supervisor or test
 * watching the log for them sees them at once, not at the next periodic flush.
 */
export function flushLog(destination: LogDestination): void {
  destination.flush()
  destination.once('drain', () => destination.flush())
}

/**
 * The loggers at `level` into `destination` (by default standard output, see above); at
 * `silent`, loggers that write nothing and no destination at all (its flush timer included).
 */
export function createLoggers(level: LogLevel, destination?: DestinationStream): Loggers {
  if (level === 'silent') return silentLoggers()
  const into = destination ?? stdoutDestination()
  return {
    app: pino(loggerOptions(level), into),
    access: pino({ level, base: null }, into),
  }
}

/** Loggers that write nothing: the CLI's (its audit records go to the database only). */
export const silentLoggers = (): Loggers => ({
  app: pino({ level: 'silent' }),
  access: pino({ level: 'silent' }),
})
