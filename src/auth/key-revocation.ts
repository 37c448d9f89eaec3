import type { Actor, AuditService } from './audit.js'
import type { Keyring } from './keys.js'

/**
 * Revokes a leaked signing key and records it in the audit log (`key.revoke`, detail: the kid
 * and its successor's kid, never key material). See `Keyring.revoke` for what changes when.
 * Resolves undefined, recording nothing, when no unrevoked key has this kid.
 */
export async function revokeSigningKey(
  keyring: Keyring,
  audit: AuditService,
  kid: string,
  actor: Actor,
): Promise<{ successor: string | null } | undefined> {
  const result = await keyring.revoke(kid)
  if (result) {
    await audit.record({ type: 'key.revoke', actor, detail: { kid, successor: result.successor } })
  }
  return result
}
