import { invalidRequest } from '../errors.js'

/** An opaque pagination cursor: the position, base64url-encoded so clients do not build them. */
export const encodeCursor = (position: string) => Buffer.from(position).toString('base64url')

/** The position in a cursor from `encodeCursor`; 400 invalid_request for anything else. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined
  const position = Buffer.from(cursor, 'base64url').toString()
  // Only what encodeCursor made survives the round trip (no stray bytes, no invalid UTF-8);
  // NUL is refused because no stored value holds it and PostgreSQL cannot compare with it.
  if (encodeCursor(position) !== cursor || position.includes('\u0000')) {
    throw invalidRequest('cursor is not valid')
  }
  return position
}

/** The page size of a `limit` query value: 1 to 200, default 50; 400 otherwise. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 50
  const limit = Number(raw)
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw invalidRequest('limit must be an integer from 1 to 200')
  }
  return limit
}

/** The page and the cursor of the next one, from `limit + 1` fetched rows. */
export function paginate<T>(rows: T[], limit: number, positionOf: (row: T) => string) {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  const next = rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null
  return { page, next }
}
