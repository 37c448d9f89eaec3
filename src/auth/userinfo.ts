import type { UserRecord } from '../store/store.js'
import { scopesOf } from '../verify/claims.js'

/** The UserInfo response (OpenID Connect Core §5.3.2): `sub` and the claims the scopes release. */
export interface UserInfoClaims {
  sub: string
  preferred_username?: string
  name?: string
  email?: string
  email_verified?: boolean
}

/**
 * The claims released about `user` for an access token of `scope` (OpenID Connect Core §5.4):
 * `profile` releases `preferred_username` and `name` (when the user has a full name), `email`
 * releases `email` and `email_verified` (when the user has an address). `scope` is what the
 * user's roles still grant of the token's scope, so a role taken away takes its claims away.
 */
export function userInfoClaims(user: UserRecord, scope: string): UserInfoClaims {
  const scopes = new Set(scopesOf({ scope }))
  const claims: UserInfoClaims = { sub: user.id }
  if (scopes.has('profile')) {
    claims.preferred_username = user.username
    if (user.fullName !== null) claims.name = user.fullName
  }
  if (scopes.has('email') && user.email !== null) {
    claims.email = user.email
    claims.email_verified = user.emailVerified
  }
  return claims
}
