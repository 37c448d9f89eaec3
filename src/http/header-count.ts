import type { IncomingMessage } from 'node:http'

/**
 * How many times the header `name` (lowercase) appears in the request as sent. Node keeps only
 * the first of a repeated Authorization, Content-Type or Host header in `request.headers`, so a
 * proxy that reads the last one and this server would act on two different requests: the
 * callers refuse a repeat instead of picking one.
 */
export function headerCount(request: IncomingMessage, name: string): number {
  const raw = request.rawHeaders
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.length === name.length && raw[i]?.toLowerCase() === name) count++
  }
  return count
}
