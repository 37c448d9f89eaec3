import type { FastifyRequest } from 'fastify'
import { invalidRequest } from '../errors.js'

// Passwords and secrets are only ever hashed, never stored as text: a NUL in them is kept and
// verified like any other character (bcrypt's NUL truncation is exactly what must not happen).
const hashedOnly = /password|secret/

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(hasNul)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => !hashedOnly.test(key) && hasNul(v))
  }
  return false
}

/**
 * preHandler hook: refuses U+0000 in the path parameters, query or body (passwords and secrets
 * aside) with 400.
 * No field of this API can hold it, and PostgreSQL cannot store it in text at all: without this
 * check, the same request would be stored on SQLite and fail as 503 on PostgreSQL.
 */
export async function refuseNul(request: FastifyRequest) {
  if (hasNul(request.params) || hasNul(request.query) || hasNul(request.body)) {
    throw invalidRequest('text must not contain NUL (U+0000) characters')
  }
}
