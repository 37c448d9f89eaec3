import { type Static, Type } from 'typebox'

/** A client as the admin API shows it; the secret itself is shown only once, at creation. */
export const ClientSchema = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  confidential: Type.Boolean({ description: 'Has a secret (stored only as a hash)' }),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  introspect: Type.Boolean({ description: 'May call POST /introspect' }),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export type ClientView = Static<typeof ClientSchema>
