import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'

/**
 * pino options: JSON lines; secrets redacted wherever they could appear (headers, bodies,
 * errors). Request lines carry the path only, never the query string, which may hold tokens.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.access_token',
        '*.refresh_token',
        '*.client_secret',
        '*.token',
      ],
      censor: '[redacted]',
    },
  }
}

/**
 * onResponse hook factory: one lean access line per request, written into the destination of
 * `access` (a logger without redaction), in pino's line format: `level`, `time`, the request
 * id, method, path without the query string (which may hold tokens), status, milliseconds and
 * `msg: "request"`. Fastify's own request logging writes two lines with full request objects;
 * redaction over lines that by construction hold no secrets cost a quarter of /users/me
 * throughput; and pino's generic object serialization cost five times this template (1.5 µs
 * against 0.3 µs a line), on every request. Strings are JSON-escaped; the rest are numbers.
 * Nothing is written when `access` is above `info`.
 */
export function logResponse(access: Logger) {
  if (!access.isLevelEnabled('info')) {
    return function noAccessLine(
      _request: FastifyRequest,
      _reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ) {
      done()
    }
  }
  const destination = (access as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ] as DestinationStream
  const head = `{"level":${access.levels.values.info},"time":`
  return function logLine(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    const { url } = request
    const query = url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    const ms = Math.round(reply.elapsedTime * 10) / 10
    destination.write(
      `${head}${Date.now()},"reqId":${JSON.stringify(request.id)},"method":${JSON.stringify(request.method)},"path":${JSON.stringify(path)},"status":${reply.statusCode},"ms":${ms},"msg":"request"}\n`,
    )
    done()
  }
}
