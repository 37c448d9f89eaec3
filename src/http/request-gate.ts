import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { LoadShedding } from './load-shedding.js'
import { requestHeadError } from './request-head.js'
import { securityHeaderValues } from './security-headers.js'

/**
 * The first onRequest hook of every request, in one callback rather than one hook each (every
 * hook is a step of Fastify's hook runner on the hot path): the security headers, set before
 * anything can fail so that errors carry them too; then the refusal of an ambiguous request head
 * (request-head.ts); then, when given, load shedding (a 503 before any work is done). Load
 * shedding is left out when CORS is on: it then runs as a hook of its own after CORS, so that a
 * browser can read the 503 it is given.
 */
export function requestGate(shedding?: LoadShedding) {
  return function gate(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    reply.headers(securityHeaderValues)
    done(requestHeadError(request.raw) ?? shedding?.refusal(request))
  }
}
