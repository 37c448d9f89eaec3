import { Type } from 'typebox'

/** The error body of every 4xx/5xx response. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.String({
      description:
        'A code from the error catalogue (RFC 6749 §5.2 / RFC 6750 §3.1 where they apply)',
    }),
    error_description: Type.String({ description: 'A human-readable explanation' }),
  },
  { description: 'The one error shape of every endpoint' },
)

/** The user as the API shows it. */
export const PublicUserSchema = Type.Object({
  id: Type.String({ description: "Immutable random id; the `sub` of this user's tokens" }),
  username: Type.String({ description: 'Canonical username (NFKC, lowercase)' }),
  email: Type.Union([Type.String(), Type.Null()]),
  full_name: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ description: 'ISO 8601 UTC' }),
})

/** Error responses for the given statuses, for a route's `response` schema. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]))
