import { type Static, Type } from 'typebox'
import { nullable } from './nullable.js'

/** A session as the admin API shows it; never the refresh token or its hash. */
export const AdminSessionSchema = Type.Object({
  id: Type.String(),
  client_id: Type.String(),
  scope: Type.String(),
  ip: nullable(Type.String()),
  user_agent: nullable(Type.String()),
  created_at: Type.String(),
  last_used_at: Type.String(),
  expires_at: Type.String({ description: 'The earlier of the idle and the absolute expiry' }),
  revoked_at: nullable(Type.String()),
})

export type AdminSession = Static<typeof AdminSessionSchema>
