import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { Logger, LoggerOptions } from 'pino'

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
 * onResponse hook factory: one lean access line per request, written through `access`, a logger
 * without redaction. Fastify's own request logging writes two lines with full request objects,
 * and running redaction over lines that by construction hold no secrets (method, path without
 * query, status, time, request id) cost a quarter of /users/me throughput (npm run bench).
 */
export function logResponse(access: Logger) {
  return function logLine(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    const { url } = request
    const query = url.indexOf('?')
    access.info({
      reqId: request.id,
      method: request.method,
      path: query === -1 ? url : url.slice(0, query),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      msg: 'request',
    })
    done()
  }
}
