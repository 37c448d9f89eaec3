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
 * The body of a 202 from the endpoints that may send mail: `{}`, the same whether or not a
 * message went out (it may not, e.g. to an address already verified).
 */
export const AcceptedSchema = Type.Object(
  {},
  { additionalProperties: false, description: 'Accepted; whatever mail it sends is queued' },
)
