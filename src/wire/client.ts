import { type Static, Type } from 'typebox'

/** A client as the admin API shows it; the secret itself is shown only once, at creation. */
export const ClientSchema = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  confidential: Type.Boolean({ description: 'Has a secret (stored only as a hash)' }),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  introspect: Type.Boolean({ description: 'May call POST /introspect' }),
  redirect_uris: Type.Array(Type.String(), {
    description: 'Where GET /authorize may send the user back, compared as exact strings',
  }),
  post_logout_redirect_uris: Type.Array(Type.String(), {
    description: 'Where RP-initiated logout may send the user back, compared as exact strings',
  }),
  first_party: Type.Boolean({ description: 'Skips the consent page' }),
  resource: Type.Union([Type.String(), Type.Null()], {
    description:
      'The RFC 8707 resource it serves: introspection tells it only about tokens for it; null: Portcullis itself',
  }),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export type ClientView = Static<typeof ClientSchema>
