import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { invalidRequest } from '../errors.js'

// Passwords and secrets are only ever hashed, never stored as text: a NUL in them is kept and
// verified like any other character (bcrypt's NUL truncation is exactly what must not happen).
const hashedOnly = /password|secret/

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(hasNul)
  if (value !== null && typeof value === 'object') {
    // for…in over own keys rather than Object.entries: no array per object on the hot path.
    for (const key in value) {
      if (!Object.hasOwn(value, key) || hashedOnly.test(key)) continue
      if (hasNul((value as Record<string, unknown>)[key])) return true
    }
  }
  return false
}

/**
 * preHandler hook: refuses U+0000 in the path parameters, query or body (passwords and secrets
 * aside) with 400.
 * No field of this API can hold it, and PostgreSQL cannot store it in text at all: without this
 * check, the same request would be stored on SQLite and fail as 503 on PostgreSQL.
 * A callback hook: it runs on every request, and a bodiless one with no query or parameters
 * (`GET /users/me`) costs three empty checks, no promise.
 */
export function refuseNul(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  if (
    hasNul(request.params) ||
    hasNul(request.query) ||
    (request.body !== undefined && hasNul(request.body))
  ) {
    return done(invalidRequest('text must not contain NUL (U+0000) characters'))
  }
  done()
}
