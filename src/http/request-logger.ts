import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * `request.log` that becomes a real child logger (with the request id bound) only when
 * something logs through it. Fastify makes a pino child for every request, which serializes
 * the bindings through the redaction machinery each time; here request logs are rare (errors,
 * 5xx warnings) and the access line has a logger of its own, so the child is made on first use.
 */
class DeferredChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
  ) {}

  private get logger(): FastifyBaseLogger {
    if (this.made === undefined) this.made = this.parent.child(this.bindings)
    return this.made
  }

  private log(level: Level, args: unknown[]): void {
    const logger = this.logger
    ;(logger[level] as (...a: unknown[]) => void).apply(logger, args)
  }

  get level(): string {
    return this.made?.level ?? this.parent.level
  }

  set level(level: string) {
    this.logger.level = level
  }

  fatal(...args: unknown[]): void {
    this.log('fatal', args)
  }
  error(...args: unknown[]): void {
    this.log('error', args)
  }
  warn(...args: unknown[]): void {
    this.log('warn', args)
  }
  info(...args: unknown[]): void {
    this.log('info', args)
  }
  debug(...args: unknown[]): void {
    this.log('debug', args)
  }
  trace(...args: unknown[]): void {
    this.log('trace', args)
  }
  silent(...args: unknown[]): void {
    this.log('silent', args)
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }
}

/**
 * Fastify's `childLoggerFactory`: a deferred child (see {@link DeferredChildLogger}) for the
 * plain case; a route with its own log level or serializers gets an ordinary child at once.
 */
export function deferredChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) {
    return logger.child(bindings, options)
  }
  return new DeferredChildLogger(logger, bindings)
}
