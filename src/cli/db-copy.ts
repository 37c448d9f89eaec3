import type { ConsentRecord, Store, TableName } from '../store/store.js'

/** Consents are paged by (user, client). */
type ConsentKey = { userId: string; clientId: string }

export interface CopyOptions {
  batchSize: number
  /** Replace the target's rows when it is not empty. */
  force: boolean
  onProgress?: (table: TableName, copied: number, total: number) => void
}

/** Thrown when the target holds rows and `force` was not given. */
export class TargetNotEmptyError extends Error {
  override name = 'TargetNotEmptyError'
}

/** Thrown when the row counts differ after the copy. */
export class CopyMismatchError extends Error {
  override name = 'CopyMismatchError'
}

/**
 * Copies every table from one store to another (either engine to either engine), users,
 * sessions, refresh tokens, audit events, email tokens, outbox messages, browser sessions,
 * authorization codes, consents, second factors and recovery codes in batches, and verifies the
 * row counts (MFA tokens and WebAuthn challenges, minutes long, start afresh). Refuses a
 * non-empty target unless `force`, which first
 * deletes the target's rows. Stop writers to the source first: rows written during the copy
 * may be missed, and the count check then fails.
 */
export async function copyDatabase(from: Store, to: Store, options: CopyOptions) {
  const expected = await from.counts()
  const existing = await to.counts()
  const occupied = Object.entries(existing).filter(([, n]) => n > 0)
  if (occupied.length > 0) {
    if (!options.force) {
      const detail = occupied.map(([t, n]) => `${t}: ${n}`).join(', ')
      throw new TargetNotEmptyError(
        `the target is not empty (${detail}); pass --force to replace its rows`,
      )
    }
    await to.clear()
  }
  const keys = await from.signingKeys.list()
  for (const key of keys) await to.signingKeys.insert(key)
  options.onProgress?.('signing_keys', keys.length, expected.signing_keys)
  const secrets = await from.secrets.list()
  for (const secret of secrets) await to.secrets.insert(secret)
  options.onProgress?.('server_secrets', secrets.length, expected.server_secrets)
  // Clients are few (an operator registers each): one list, no paging.
  const clients = await from.clients.list()
  for (const client of clients) await to.clients.create(client)
  options.onProgress?.('clients', clients.length, expected.clients)

  const batches = { size: options.batchSize, onProgress: options.onProgress, expected }
  await copyPages(
    'users',
    batches,
    (after) => from.users.page(after, options.batchSize),
    (u) => to.users.insertRecord(u),
    (u) => u.id,
  )
  await copyPages(
    'sessions',
    batches,
    (after) => from.sessions.page(after, options.batchSize),
    (s) => to.sessions.insertRecord(s),
    (s) => s.id,
  )
  await copyPages(
    'refresh_tokens',
    batches,
    (after) => from.sessions.pageRefreshTokens(after, options.batchSize),
    (t) => to.sessions.insertRefreshToken(t),
    (t) => t.hash,
  )
  await copyPages(
    'revoked_tokens',
    batches,
    (after) => from.revokedTokens.page(after, options.batchSize),
    (r) => to.revokedTokens.add(r.jti, r.expiresAt),
    (r) => r.jti,
  )
  await copyPages(
    'audit_events',
    batches,
    (after) => from.audit.page(after, options.batchSize),
    (e) => to.audit.insert(e),
    (e) => e.id,
  )
  // Tokens after their users (they reference them); messages exactly as they are, claims included.
  await copyPages(
    'email_tokens',
    batches,
    (after) => from.emailTokens.page(after, options.batchSize),
    (e) => to.emailTokens.insertRecord(e),
    (e) => e.hash,
  )
  await copyPages(
    'mail_outbox',
    batches,
    (after) => from.outbox.page(after, options.batchSize),
    (m) => to.outbox.insertRecord(m),
    (m) => m.id,
  )
  // After their users (they reference them), spent or ended ones as they are.
  await copyPages(
    'browser_sessions',
    batches,
    (after) => from.browserSessions.page(after, options.batchSize),
    (b) => to.browserSessions.insertRecord(b),
    (b) => b.id,
  )
  await copyPages(
    'authorization_codes',
    batches,
    (after) => from.authorizationCodes.page(after, options.batchSize),
    (c) => to.authorizationCodes.insertRecord(c),
    (c) => c.hash,
  )
  await copyPages<ConsentRecord, ConsentKey>(
    'consents',
    batches,
    (after) => from.consents.page(after, options.batchSize),
    (c) => to.consents.insertRecord(c),
    (c) => ({ userId: c.userId, clientId: c.clientId }),
  )
  // After their users. TOTP secrets move as stored (sealed ones stay sealed: same key). MFA
  // tokens and WebAuthn challenges live minutes and are not copied, like the login counters.
  await copyPages(
    'mfa_factors',
    batches,
    (after) => from.mfaFactors.page(after, options.batchSize),
    (f) => to.mfaFactors.insertRecord(f),
    (f) => f.id,
  )
  await copyPages(
    'recovery_codes',
    batches,
    (after) => from.recoveryCodes.page(after, options.batchSize),
    (c) => to.recoveryCodes.insertRecord(c),
    (c) => c.hash,
  )

  const actual = await to.counts()
  for (const table of Object.keys(expected) as TableName[]) {
    if (actual[table] !== expected[table]) {
      throw new CopyMismatchError(
        `${table}: copied ${actual[table]} rows, source has ${expected[table]}`,
      )
    }
  }
  return actual
}

/** Copies one table in keyset-paged batches (after the key `K`), each batch inserted concurrently. */
async function copyPages<T, K = string>(
  table: TableName,
  batches: {
    size: number
    onProgress: CopyOptions['onProgress']
    expected: Record<TableName, number>
  },
  page: (after: K | null) => Promise<T[]>,
  insert: (row: T) => Promise<void>,
  keyOf: (row: T) => K,
) {
  let copied = 0
  let after: K | null = null
  for (;;) {
    const batch = await page(after)
    if (batch.length === 0) break
    await Promise.all(batch.map(insert))
    copied += batch.length
    after = keyOf(batch.at(-1) as T)
    batches.onProgress?.(table, copied, batches.expected[table])
  }
  if (copied === 0) batches.onProgress?.(table, 0, batches.expected[table])
}
