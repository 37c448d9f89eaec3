import type { Clock } from '../clock.js'
import { ApiError, invalidRequest } from '../errors.js'
import type { SessionRecord, Store, UserRecord } from '../store/store.js'
import type { Actor, AuditService } from './audit.js'
import type { EmailTokens } from './email-tokens.js'
import { grantsAdmin, type RoleTable, unknownRoles } from './roles.js'
import type { UserService } from './users.js'

const notFound = (what: string) => new ApiError('not_found', `no ${what}`)

/**
 * What an admin (over /admin or the CLI) does to users: roles, disabling, deletion, sessions.
 * Every change is audited with the actor. Security invariants: disabling a user, deleting it,
 * setting its password or taking away its admin role ends all its sessions at once; an admin
 * cannot lock itself out.
 */
export class UserAdmin {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly roles: RoleTable,
    private readonly users: Pick<UserService, 'resetPassword'>,
    private readonly emailTokens: Pick<EmailTokens, 'voidCredentialLinks'>,
  ) {}

  private now = () => new Date(this.clock.now()).toISOString()

  async get(userId: string): Promise<UserRecord> {
    const user = await this.store.users.findById(userId)
    if (!user) throw notFound(`user ${userId}`)
    return user
  }

  /** Replaces the user's roles (400 for an empty list or an unknown role). */
  async setRoles(userId: string, roles: string[], actor: Actor): Promise<UserRecord> {
    const wanted = [...new Set(roles)]
    if (wanted.length === 0) throw invalidRequest('roles must not be empty')
    const unknown = unknownRoles(this.roles, wanted)
    if (unknown.length > 0) throw invalidRequest(`unknown roles: ${unknown.join(', ')}`)
    const user = await this.get(userId)
    const losesAdmin = grantsAdmin(this.roles, user.roles) && !grantsAdmin(this.roles, wanted)
    if (losesAdmin && actor.id === userId) {
      throw invalidRequest('an admin cannot take away its own admin role')
    }
    await this.store.users.setRoles(userId, wanted, this.now())
    // Tokens carry scopes, not roles: a lost admin role must not outlive the session's tokens.
    if (losesAdmin) await this.store.sessions.revokeAllForUser(userId, this.now(), null)
    await this.audit.record({
      type: 'admin.user.roles',
      userId,
      actor,
      detail: { from: user.roles, to: wanted, sessions_ended: losesAdmin },
    })
    return { ...user, roles: wanted }
  }

  /**
   * Disables (ending every session at once, and voiding pending reset and email-change links,
   * which must not outlive an operator stopping a takeover) or enables a user.
   */
  async setDisabled(userId: string, disabled: boolean, actor: Actor): Promise<UserRecord> {
    if (disabled && actor.id === userId) throw invalidRequest('an admin cannot disable itself')
    const user = await this.get(userId)
    await this.store.users.setDisabled(userId, disabled, this.now())
    if (disabled) await this.emailTokens.voidCredentialLinks(userId)
    const ended = disabled
      ? await this.store.sessions.revokeAllForUser(userId, this.now(), null)
      : 0
    await this.audit.record({
      type: disabled ? 'admin.user.disable' : 'admin.user.enable',
      userId,
      actor,
      detail: disabled ? { sessions_ended: ended } : undefined,
    })
    return { ...user, disabled }
  }

  /**
   * Sets the user's password under the policy (an operator's reset) and ends every session, so
   * whoever held the old password keeps no refresh token (RFC 9700 §4.14.2: a password change is a security
   * event), and voids every outstanding reset and email-change link. Returns how many sessions were live.
   */
  async setPassword(userId: string, password: string, actor: Actor): Promise<number> {
    const user = await this.get(userId)
    await this.users.resetPassword(user, password)
    // A reset or email-change link sent before must not undo the operator's choice.
    await this.emailTokens.voidCredentialLinks(userId)
    const ended = await this.store.sessions.revokeAllForUser(userId, this.now(), null)
    await this.audit.record({
      type: 'admin.user.password',
      userId,
      actor,
      detail: { sessions_ended: ended },
    })
    return ended
  }

  /**
   * Marks the user's address verified, as its verification link would (for a user who cannot
   * receive the link, say); 400 when the user has no address. Marking it again changes nothing
   * but is audited again.
   */
  async markEmailVerified(userId: string, actor: Actor): Promise<UserRecord> {
    const user = await this.get(userId)
    if (user.email === null) throw invalidRequest('the user has no email address to verify')
    await this.store.users.setEmailVerified(userId, true, this.now())
    await this.audit.record({
      type: 'admin.user.email_verified',
      userId,
      actor,
      detail: { email: user.email, was_verified: user.emailVerified },
    })
    return { ...user, emailVerified: true }
  }

  /** Deletes a user with its sessions. */
  async delete(userId: string, actor: Actor): Promise<void> {
    if (actor.id === userId)
      throw invalidRequest('an admin cannot delete itself here; use DELETE /users/me')
    const user = await this.get(userId)
    await this.store.users.delete(userId)
    await this.audit.record({
      type: 'admin.user.delete',
      userId,
      actor,
      detail: { username: user.username },
    })
  }

  /** The user's sessions, newest first, ended ones included (with `revokedAt`). */
  async sessions(userId: string): Promise<SessionRecord[]> {
    await this.get(userId)
    return this.store.sessions.listForUser(userId)
  }

  /** Ends every session of the user; returns how many were live. */
  async endSessions(userId: string, actor: Actor): Promise<number> {
    await this.get(userId)
    const ended = await this.store.sessions.revokeAllForUser(userId, this.now(), null)
    await this.audit.record({ type: 'admin.user.sessions_end', userId, actor, detail: { ended } })
    return ended
  }

  /** Ends one session of the user (404 when the user has no such session). */
  async endSession(userId: string, sessionId: string, actor: Actor): Promise<void> {
    const session = await this.store.sessions.findById(sessionId)
    if (!session || session.userId !== userId) throw notFound(`session ${sessionId} of that user`)
    await this.store.sessions.revoke(sessionId, this.now())
    await this.audit.record({
      type: 'admin.session.revoke',
      userId,
      actor,
      detail: { session_id: sessionId },
    })
  }
}
