import { type Static, Type } from 'typebox'
import { nullable } from './nullable.js'

/** An audit record as the admin API shows it; `detail` never holds a secret or a token. */
export const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  type: Type.String(),
  outcome: Type.String({ description: '`success` or `failure`' }),
  user_id: nullable(Type.String()),
  client_id: nullable(Type.String()),
  actor_id: nullable(Type.String({ description: 'Who acted: a user id, a client id or `cli`' })),
  ip: nullable(Type.String()),
  user_agent: nullable(Type.String()),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
})

export type AuditEventView = Static<typeof AuditEventSchema>
