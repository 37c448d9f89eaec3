import { type Static, Type } from 'typebox'
import type { ErrorCode } from '../errors.js'

/**
 * The one error shape of every 4xx/5xx response: `{error, error_description}`. `error` is a
 * code of the catalogue in `errors.ts` (typed as such; documented as a string so the catalogue
 * can grow without breaking generated clients).
 */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Unsafe<ErrorCode>(
      Type.String({
        description:
          'A code from the error catalogue (RFC 6749 §5.2 / RFC 6750 §3.1 where they apply)',
      }),
    ),
    error_description: Type.String({ description: 'A human-readable explanation' }),
  },
  { description: 'The one error shape of every endpoint' },
)

/** The wire shape of every error response. */
export type ErrorBody = Static<typeof ErrorBodySchema>
