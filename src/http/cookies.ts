import type { FastifyRequest } from 'fastify'

/**
 * The value of the cookie `name` in the request; null when absent or sent more than once (an
 * ambiguous cookie is none: a sibling site may have planted a second one, RFC 6265bis §8.5).
 */
export function cookieValue(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie
  if (!header) return null
  const prefix = `${name}=`
  const values = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(prefix))
    .map((part) => part.slice(prefix.length))
  return values.length === 1 ? (values[0] as string) : null
}
