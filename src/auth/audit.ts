import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { AuditFilter, AuditRecord, AuditStore } from '../store/store.js'

/** Every event type the audit log records. */
export const auditEventTypes = [
  'user.register',
  'login.success',
  'login.failure',
  'login.lockout',
  'refresh.reuse',
  'logout',
  'logout.all',
  'session.revoke',
  'consent.revoke',
  'password.change',
  'account.delete',
  'token.client_credentials',
  'token.authorization_code',
  'authorize.code',
  'authorize.denied',
  'authorize.code_reuse',
  'token.revoke',
  'client.auth_failure',
  'admin.user.create',
  'admin.user.disable',
  'admin.user.enable',
  'admin.user.roles',
  'admin.user.delete',
  'admin.user.password',
  'admin.user.sessions_end',
  'admin.session.revoke',
  'admin.user.import',
  'client.create',
  'client.delete',
  'client.secret_rotate',
  'key.revoke',
  'password.reset_requested',
  'password.reset',
  'admin.user.reset_link',
  'email.verification_sent',
  'email.verified',
  'email.change_requested',
  'email.changed',
  'admin.user.email_verified',
  // Second factors and passkeys.
  'mfa.totp_enroll',
  'mfa.totp_confirm',
  'mfa.totp_remove',
  'mfa.success',
  'mfa.failure',
  'mfa.recovery_code_used',
  'mfa.recovery_codes_regenerate',
  'mfa.required',
  'mfa.step_up_refused',
  'admin.user.mfa_reset',
  'passkey.register',
  'passkey.rename',
  'passkey.remove',
  'passkey.login',
  'passkey.failure',
] as const
export type AuditEventType = (typeof auditEventTypes)[number]

/** Who caused an event and from where: the request's context, or `cli` for the command line. */
export interface Actor {
  /** A user id, a client id, or `cli`. */
  id: string
  ip?: string | null
  userAgent?: string | null
}

/** Where an unauthenticated request came from (for the audit log): its IP and user agent. */
export type RequestMeta = { ip: string | null; userAgent: string | null }

/** The CLI as an actor. */
export const cliActor: Actor = { id: 'cli' }

export interface AuditEvent {
  type: AuditEventType
  outcome?: 'success' | 'failure'
  userId?: string | null
  clientId?: string | null
  /** Set for admin actions (who acted); ip and user agent come from it too. */
  actor?: Actor | null
  ip?: string | null
  userAgent?: string | null
  /** Event detail; must never hold a secret, a password or a token. */
  detail?: Record<string, unknown>
}

let sequence = 0

/**
 * A time-ordered unique id: 12 hex digits of milliseconds, a per-process sequence (so records of
 * one millisecond keep their order) and 32 random bits (so instances never collide).
 */
export function auditId(ms: number): string {
  sequence = (sequence + 1) % 0x1_0000_0000
  return (
    Math.floor(ms).toString(16).padStart(12, '0') +
    sequence.toString(16).padStart(8, '0') +
    randomBytes(4).toString('hex')
  )
}

/**
 * The audit log: security events stored in the database and passed to a sink (the server's
 * structured log). A failed store write is reported to `onError` and does not fail the request
 * that caused the event; the log line is still written.
 */
export class AuditService {
  private readonly sink: (record: AuditRecord) => void
  private readonly onError: (error: unknown) => void

  /** `sink` receives every record (the server logs it; the CLI leaves it silent). */
  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    hooks: { sink?: (record: AuditRecord) => void; onError?: (error: unknown) => void } = {},
  ) {
    this.sink = hooks.sink ?? (() => {})
    this.onError = hooks.onError ?? (() => {})
  }

  async record(event: AuditEvent): Promise<AuditRecord> {
    const now = this.clock.now()
    const record: AuditRecord = {
      id: auditId(now),
      at: new Date(now).toISOString(),
      type: event.type,
      outcome: event.outcome ?? 'success',
      userId: event.userId ?? null,
      clientId: event.clientId ?? null,
      actorId: event.actor?.id ?? null,
      ip: event.ip ?? event.actor?.ip ?? null,
      userAgent: event.userAgent ?? event.actor?.userAgent ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    }
    this.sink(record)
    try {
      await this.store.insert(record)
    } catch (error) {
      this.onError(error)
    }
    return record
  }

  list(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.store.list(filter)
  }

  /** Deletes records older than the retention period, in batches; returns how many. */
  async purge(retentionDays: number, batch = 1000): Promise<number> {
    const before = new Date(this.clock.now() - retentionDays * 86_400_000).toISOString()
    let total = 0
    for (;;) {
      const n = await this.store.purge(before, batch)
      total += n
      if (n < batch) return total
    }
  }
}
