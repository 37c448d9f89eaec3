import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { ConsentRecord, Store } from '../store/store.js'
import type { Actor, AuditService } from './audit.js'

/** A consent with the name of its client, for showing to the user or an admin. */
export interface ConsentListing {
  consent: ConsentRecord
  /** The client's registered name; null when it is not a registered client. */
  clientName: string | null
}

/**
 * What users allowed third-party clients (OpenID Connect Core §3.1.2.4): listing and revoking
 * consents, for the user themselves or an admin. Revoking a consent also revokes the user's
 * sessions of that client (in the store, in one transaction), so the client loses access at
 * once, not at the next authorization request; it is audited as `consent.revoke`.
 */
export class ConsentService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The user's consents in client id order (an unknown user has none). */
  async list(userId: string): Promise<ConsentListing[]> {
    const consents = await this.store.consents.listForUser(userId)
    const clients = new Map((await this.store.clients.list()).map((c) => [c.id, c.name]))
    return consents.map((consent) => ({
      consent,
      clientName: clients.get(consent.clientId) ?? null,
    }))
  }

  /** As `list`, for an admin: 404 not_found when there is no such user. */
  async listForAdmin(userId: string): Promise<ConsentListing[]> {
    await this.existingUser(userId)
    return this.list(userId)
  }

  /**
   * Forgets the user's consent to the client and revokes the user's sessions of it; 404
   * not_found when there is no such consent (or, for an admin, no such user).
   */
  async revoke(userId: string, clientId: string, actor: Actor): Promise<void> {
    const at = new Date(this.clock.now()).toISOString()
    if (!(await this.store.consents.revoke(userId, clientId, at))) {
      throw new ApiError('not_found', 'no consent to that client')
    }
    await this.audit.record({ type: 'consent.revoke', userId, clientId, actor })
  }

  /** As `revoke`, for an admin: 404 not_found names a missing user apart from a missing consent. */
  async revokeForAdmin(userId: string, clientId: string, actor: Actor): Promise<void> {
    await this.existingUser(userId)
    await this.revoke(userId, clientId, actor)
  }

  private async existingUser(userId: string) {
    if (!(await this.store.users.findById(userId))) {
      throw new ApiError('not_found', `no user ${userId}`)
    }
  }
}
