import { type Static, Type } from 'typebox'

/** The user as the API shows it to itself (`/register`, `/users/me`); never the hash. */
export const PublicUserSchema = Type.Object({
  id: Type.String({ description: "Immutable random id; the `sub` of this user's tokens" }),
  username: Type.String({ description: 'Canonical username (NFKC, lowercase)' }),
  email: Type.Union([Type.String(), Type.Null()]),
  full_name: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean({
    description:
      'Whether the user proved they receive mail at `email` (a verification link, or an admin); false without an address',
  }),
  created_at: Type.String({ description: 'ISO 8601 UTC' }),
})

export type PublicUser = Static<typeof PublicUserSchema>
