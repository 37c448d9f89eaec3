import { type Static, Type } from 'typebox'

/**
 * The body of `POST /register`. The limits here only bound what is parsed; the rules a new
 * user's fields must meet are `checkUserFields` and the password policy, which every way of
 * creating a user applies.
 */
export const RegistrationSchema = Type.Object(
  {
    username: Type.String({
      maxLength: 64,
      description:
        '3 to 32 characters of a-z 0-9 . _ - (after NFKC and lowercasing), starting and ending alphanumeric',
    }),
    password: Type.String({
      maxLength: 1024,
      description:
        'The plain password (TLS protects it in transit). At least 15 characters by default, counted in Unicode code points after NFKC; not a common password; must not contain the username. No composition rules.',
    }),
    email: Type.Optional(
      Type.String({ maxLength: 254, description: 'Optional; unique case-insensitively' }),
    ),
    full_name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

export type RegistrationBody = Static<typeof RegistrationSchema>
