import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ApiError, invalidGrant, invalidRequest } from '../errors.js'
import { type Store, UniqueViolationError, type UserRecord } from '../store/store.js'
import type { PublicUser } from '../wire/public-user.js'
import type { RegistrationBody } from '../wire/registration.js'
import type { PasswordHasher } from './password-hasher.js'
import {
  checkNewPassword,
  isWellFormedPassword,
  normalizePassword,
  type PasswordPolicy,
} from './password-policy.js'
import { adminRoles, type RoleTable } from './roles.js'
import { checkUserFields } from './user-fields.js'
import { canonicalLogin } from './usernames.js'

/** A new user as `/register` sends it, plus the roles only the CLI and bootstrap set. */
export type Registration = RegistrationBody & {
  /** Registration over HTTP always gets `user`. */
  roles?: string[] | undefined
}

/** Why a login failed: for the audit log only, never for the client. */
export type LoginFailure = 'unknown_user' | 'bad_password' | 'disabled' | 'malformed_password'

export type LoginResult =
  | { ok: true; user: UserRecord }
  | { ok: false; reason: LoginFailure; userId: string | null }

/** The user as the API shows it; never the hash. */
export const toPublicUser = (u: UserRecord): PublicUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  email_verified: u.emailVerified,
  created_at: u.createdAt,
})

/** 409 `username_taken` or `email_taken`: the value belongs to another user. */
export const taken = (field: 'username' | 'email') =>
  new ApiError(`${field}_taken`, `that ${field} is already registered`)

/**
 * Registration and password authentication. Unknown users and wrong passwords take the same
 * path and the same time (a dummy hash is verified), and both return null.
 */
export class UserService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly clock: Clock,
    private readonly roles: RoleTable,
  ) {}

  /** Creates a user; throws 400 naming the failed rule, or 409 when username/email is taken. */
  async register(input: Registration): Promise<UserRecord> {
    const fields = checkUserFields({
      username: input.username,
      email: input.email,
      fullName: input.full_name,
    })
    if (typeof fields === 'string') throw invalidRequest(fields)
    const { username, emailCanonical } = fields
    const password = checkNewPassword(input.password, username, this.policy)
    // Checked before hashing so a taken name costs no hash; the unique index still decides races.
    if (await this.store.users.findByUsername(username)) throw taken('username')
    if (emailCanonical && (await this.store.users.findByEmail(emailCanonical))) throw taken('email')
    const passwordHash = await this.hasher.hash(password)
    try {
      return await this.store.users.create({
        id: randomUUID(),
        ...fields,
        passwordHash,
        roles: input.roles ?? ['user'],
        createdAt: new Date(this.clock.now()).toISOString(),
      })
    } catch (error) {
      if (error instanceof UniqueViolationError && error.field !== 'id') throw taken(error.field)
      throw error
    }
  }

  /**
   * Checks a login: the active user whose username (any form that canonicalizes to it) or email
   * and password match. Every failure takes the same path and time; its reason is for the audit
   * log only. Re-hashes bcrypt and weaker argon2 hashes on success. `lookup` passes the
   * result of `findByLogin(canonicalLogin(login))` when the caller already has it.
   */
  async authenticate(
    login: string,
    password: string,
    lookup?: { found: UserRecord | null },
  ): Promise<LoginResult> {
    const found = lookup ? lookup.found : await this.findByLogin(canonicalLogin(login))
    // A malformed password cannot match any stored one; it takes the unknown-user path.
    const wellFormed = isWellFormedPassword(password)
    const user = wellFormed ? found : null
    const normalized = normalizePassword(password)
    // A disabled user pays the full failure time even with the right password.
    const result = await this.hasher.checkLogin(user?.passwordHash ?? null, normalized, {
      raw: user?.passwordHash.startsWith('$2') ? password : undefined,
      refuse: user?.disabled ?? false,
    })
    const userId = found?.id ?? null
    if (!user) return { ok: false, reason: found ? 'malformed_password' : 'unknown_user', userId }
    if (!result.ok) return { ok: false, reason: 'bad_password', userId }
    if (user.disabled) return { ok: false, reason: 'disabled', userId }
    if (result.needsRehash) await this.rehash(user, normalized)
    return { ok: true, user }
  }

  /**
   * Replaces the password after checking the current one (400 invalid_grant when wrong) and
   * the policy for the new one (400 invalid_request naming the rule).
   */
  async changePassword(user: UserRecord, current: string, next: string): Promise<void> {
    await this.confirmPassword(user, current)
    const normalized = checkNewPassword(next, user.username, this.policy)
    const hash = await this.hasher.hash(normalized)
    const at = new Date(this.clock.now()).toISOString()
    const fresh = await this.store.users.findById(user.id)
    if (
      !fresh ||
      !(await this.store.users.replacePasswordHash(user.id, fresh.passwordHash, hash, at))
    ) {
      throw invalidGrant('the password changed meanwhile; try again')
    }
  }

  /**
   * Sets a new password without the current one: an operator's reset. The policy applies as at
   * registration (400 invalid_request naming the rule). Ending the user's sessions is the
   * caller's part (UserAdmin.setPassword).
   */
  async resetPassword(user: UserRecord, next: string): Promise<void> {
    const normalized = checkNewPassword(next, user.username, this.policy)
    const hash = await this.hasher.hash(normalized)
    const at = new Date(this.clock.now()).toISOString()
    // Compare-and-swap: a login re-hashing or a password change meanwhile is not overwritten.
    if (!(await this.store.users.replacePasswordHash(user.id, user.passwordHash, hash, at))) {
      throw invalidGrant('the password changed meanwhile; try again')
    }
  }

  /**
   * Deletes the account after checking its password; its sessions go with it (cascade). The
   * last enabled user granted the admin scope cannot leave (409 last_admin): nobody could
   * administer the deployment afterwards.
   */
  async deleteAccount(user: UserRecord, password: string): Promise<void> {
    await this.confirmPassword(user, password)
    const outcome = await this.store.users.deleteUnlessLastHolder(user.id, adminRoles(this.roles))
    if (outcome === 'last_holder') {
      throw new ApiError(
        'last_admin',
        'the last admin cannot delete its account: give another user the admin role first',
      )
    }
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.store.users.findById(id)
  }

  /**
   * Checks the user's current password against the stored hash (400 invalid_grant when wrong):
   * what every route that confirms a password asks, under the login throttle of its caller.
   */
  async confirmPassword(user: UserRecord, password: string): Promise<void> {
    const fresh = await this.store.users.findById(user.id)
    const result = fresh
      ? await this.hasher.verify(fresh.passwordHash, normalizePassword(password))
      : null
    if (!result?.ok) throw invalidGrant('the password is incorrect')
  }

  /** The user a canonical login (`canonicalLogin`: a username or an email) names, active or not. */
  findByLogin(canonical: string | null): Promise<UserRecord | null> {
    if (canonical === null) return Promise.resolve(null)
    return canonical.includes('@')
      ? this.store.users.findByEmail(canonical)
      : this.store.users.findByUsername(canonical)
  }

  private async rehash(user: UserRecord, password: string): Promise<void> {
    const next = await this.hasher.hash(password)
    const at = new Date(this.clock.now()).toISOString()
    await this.store.users.replacePasswordHash(user.id, user.passwordHash, next, at)
  }
}
