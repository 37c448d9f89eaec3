import type { FastifyRequest } from 'fastify'
import { invalidRequest } from '../errors.js'

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(hasNul)
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasNul)
  return false
}

/**
 * preHandler hook: refuses U+0000 anywhere in the path parameters, query or body with 400.
 * No field of this API can hold it, and PostgreSQL cannot store it in text at all: without this
 * check, the same request would be stored on SQLite and fail as 503 on PostgreSQL.
 */
export async function refuseNul(request: FastifyRequest) {
  if (hasNul(request.params) || hasNul(request.query) || hasNul(request.body)) {
    throw invalidRequest('text must not contain NUL (U+0000) characters')
  }
}
