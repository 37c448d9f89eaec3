import { type Static, Type } from 'typebox'

/** The body of `POST /email/verify`: the token of a verification or email-change link. */
export const EmailTokenBodySchema = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The `token` of the link’s fragment (`…/verify-email#token=…`), as it is',
    }),
  },
  { additionalProperties: false },
)
export type EmailTokenBody = Static<typeof EmailTokenBodySchema>

/** The body of `PUT /users/me/email`: the new address, confirmed by the current password. */
export const EmailChangeBodySchema = Type.Object(
  {
    new_email: Type.String({
      maxLength: 254,
      description: 'The new address; it becomes the account’s only once its link is followed',
    }),
    password: Type.String({ maxLength: 1024, description: 'The current password' }),
  },
  { additionalProperties: false },
)
export type EmailChangeBody = Static<typeof EmailChangeBodySchema>

/**
 * The body of a 202 from the endpoints that may send mail: one fixed sentence per endpoint, the
 * same whether or not a message went out (it may not: an unknown or already verified address).
 */
export const AcceptedSchema = Type.Object(
  { message: Type.String() },
  { additionalProperties: false, description: 'Accepted; whatever mail it sends is queued' },
)
export type Accepted = Static<typeof AcceptedSchema>

/** The body of `POST /password/forgot`. */
export const ForgotPasswordBodySchema = Type.Object(
  { email: Type.String({ maxLength: 320, description: 'The address of the account' }) },
  { additionalProperties: false },
)

/** The body of `POST /password/reset`: the token of a reset link and the new password. */
export const ResetPasswordBodySchema = Type.Object(
  {
    token: Type.String({
      maxLength: 256,
      description: 'The `token` of the link’s fragment (`…/reset-password#token=…`), as it is',
    }),
    new_password: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
)
