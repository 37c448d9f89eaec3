import { type Static, Type } from 'typebox'
import { AdminMfaSchema } from './mfa.js'
import { nullable } from './nullable.js'

/** A user as the admin API shows it: the public fields plus roles and status, never the hash. */
export const AdminUserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: nullable(Type.String()),
  full_name: nullable(Type.String()),
  email_verified: Type.Boolean({ description: 'Whether the address is verified' }),
  roles: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export type AdminUser = Static<typeof AdminUserSchema>

/** One user as `GET /admin/users/{id}` shows it: also which second factors are on. */
export const AdminUserDetailSchema = Type.Object({
  ...AdminUserSchema.properties,
  mfa: AdminMfaSchema,
})
export type AdminUserDetail = Static<typeof AdminUserDetailSchema>
