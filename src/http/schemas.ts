import { ErrorBodySchema } from '../wire/error-body.js'

/** Error responses for the given statuses, for a route's `response` schema. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]))
