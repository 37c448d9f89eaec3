import { randomUUID } from 'node:crypto'
import { endBrowserSessions } from './sessions.js'
import { type Body, count, type Db, nothing, sql } from './sql.js'
import {
  type EmailTokenRecord,
  type EmailTokenStore,
  type RedeemOutcome,
  type Redemption,
  UniqueViolationError,
} from './store.js'
import { emailTokens, mailOutbox } from './tables.js'

const voidUnused =
  'UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL'
// The links a reset must kill besides the other resets: a pending email change, which whoever
// knew the old password may have asked for, must not outlive the owner taking the account back.
const voidCredentialLinks = `UPDATE email_tokens SET used_at = $1 WHERE user_id = $2
  AND purpose IN ('reset_password', 'change_email') AND used_at IS NULL`
// Unexpired means strictly before `expires_at`: a token is dead from its expiry instant on.
const live = 'purpose = $2 AND used_at IS NULL AND expires_at > $3'
const findLive = `SELECT * FROM email_tokens WHERE hash = $1 AND ${live}`
// The conditional UPDATE is the single-use guard: on PostgreSQL it locks the row and re-checks
// `used_at IS NULL` on its latest version, so of concurrent redeemers exactly one spends it.
const spend = `UPDATE email_tokens SET used_at = $3, used_by = $4 WHERE hash = $1 AND ${live}
  RETURNING *`
const spentBy = 'SELECT * FROM email_tokens WHERE hash = $1 AND used_by = $2'
const unspend = 'UPDATE email_tokens SET used_at = NULL, used_by = NULL WHERE hash = $1'
// The token's address must still be the user's (the row lock makes this exact on PostgreSQL).
const verify = `UPDATE users SET email_verified = $1, updated_at = $2
  WHERE id = $3 AND email_canonical = $4`
// Following a reset link proves the user receives mail at the address, as a verification link
// would: the address is verified too (else, with verified addresses required, a user whose
// verification link expired could never log in again on their own).
const resetPassword = `UPDATE users SET password_hash = $1, email_verified = $5, updated_at = $2
  WHERE id = $3 AND email_canonical = $4`
const takenByOther = 'SELECT 1 FROM users WHERE email_canonical = $1 AND id <> $2'
// A disabled account's address does not change: disabling is how an operator stops a takeover.
const changeEmail = `UPDATE users SET email = $1, email_canonical = $2, email_verified = $3,
  updated_at = $4 WHERE id = $5 AND NOT disabled`
const endSessions = 'UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL'

/** The outcome of a body that left the token unspent. */
const invalid: RedeemOutcome = { outcome: 'invalid' }

/**
 * Applies `redemption` for the just-spent `token` at `now`. `invalid`: the token's address is no
 * longer the user's (verification, reset); `email_taken`: another user holds the new address.
 * Either way nothing was changed, and the caller unspends the token.
 */
function* apply(
  token: EmailTokenRecord,
  now: string,
  redemption: Redemption,
): Body<'applied' | 'invalid' | 'email_taken'> {
  const { userId, emailCanonical } = token
  switch (redemption.purpose) {
    case 'verify_email': {
      const { count } = yield* sql(verify, [true, now, userId, emailCanonical])
      return count === 1 ? 'applied' : 'invalid'
    }
    case 'change_email': {
      // Checked here for a clear outcome; a concurrent taker is caught by the unique index.
      if ((yield* sql(takenByOther, [emailCanonical, userId])).count > 0) return 'email_taken'
      const changed = yield* sql(changeEmail, [token.email, emailCanonical, true, now, userId])
      if (changed.count !== 1) return 'invalid'
      if (redemption.notice) {
        yield* sql(mailOutbox.insert, mailOutbox.values(redemption.notice))
      }
      return 'applied'
    }
    case 'reset_password': {
      const { count } = yield* sql(resetPassword, [
        redemption.passwordHash,
        now,
        userId,
        emailCanonical,
        true,
      ])
      if (count !== 1) return 'invalid'
      // A successful reset voids every other reset link and every pending email change, and
      // ends every session, provider logins included, at once.
      yield* sql(voidCredentialLinks, [now, userId])
      // Logins first, as in sessions.revokeAllForUser: a racing code exchange's session is seen.
      yield* sql(endBrowserSessions, [now, userId])
      yield* sql(endSessions, [now, userId])
      yield* sql(mailOutbox.insert, mailOutbox.values(redemption.notice))
      return 'applied'
    }
  }
}

/** The email-token part of the store, over either engine. */
export function emailTokensStore(db: Db): EmailTokenStore {
  const lockUser =
    db.dialect === 'postgres' ? 'SELECT id FROM users WHERE id = $1 FOR UPDATE' : null
  return {
    async issue(token, message, voidOthers, notices = []) {
      try {
        await db.transaction(function* () {
          // PostgreSQL (READ COMMITTED): the void below cannot see a token that a concurrent
          // issue inserted and has not committed, so both would stay live. Locking the user's
          // row first makes concurrent issues for one user take turns; SQLite already runs one
          // writer at a time.
          if (lockUser) yield* sql(lockUser, [token.userId])
          if (voidOthers) yield* sql(voidUnused, [token.createdAt, token.userId, token.purpose])
          yield* sql(emailTokens.insert, emailTokens.values(token))
          for (const m of [message, ...notices]) yield* sql(mailOutbox.insert, mailOutbox.values(m))
        })
      } catch (error) {
        // A retried transaction whose first attempt committed before the connection dropped.
        if (!db.retriesCommitted || !(error instanceof UniqueViolationError)) throw error
        const stored = await db.query('SELECT user_id FROM email_tokens WHERE hash = $1', [
          token.hash,
        ])
        const sent = await db.query('SELECT 1 FROM mail_outbox WHERE id = $1', [message.id])
        if (stored.rows[0]?.user_id !== token.userId || sent.count !== 1) throw error
      }
    },
    find: (hash, purpose, now) => emailTokens.first(db, findLive, [hash, purpose, now]),
    async redeem(hash, now, redemption) {
      // Identifies this call, drawn once before the first attempt: a retry of a transaction
      // whose COMMIT succeeded (PostgreSQL, reply lost) finds the token spent by itself.
      const attempt = randomUUID()
      try {
        return await db.transaction(function* (): Body<RedeemOutcome> {
          const spent = yield* sql(spend, [hash, redemption.purpose, now, attempt])
          const row = spent.rows[0]
          if (!row) {
            const own = yield* sql(spentBy, [hash, attempt])
            return own.rows[0]
              ? { outcome: 'redeemed', token: emailTokens.decode(own.rows[0]) }
              : invalid
          }
          const token = emailTokens.decode(row)
          const applied = yield* apply(token, now, redemption)
          if (applied === 'applied') return { outcome: 'redeemed', token }
          // Nothing else changed: the token stays as it was, unspent.
          yield* sql(unspend, [hash])
          return applied === 'email_taken' ? { outcome: 'email_taken' } : invalid
        })
      } catch (error) {
        // Another user took the address between the check and the update (PostgreSQL): the
        // whole transaction rolled back, the token is unspent.
        if (error instanceof UniqueViolationError && error.field === 'email') {
          return { outcome: 'email_taken' }
        }
        throw error
      }
    },
    voidForUser: (userId, purpose, at) => db.query(voidUnused, [at, userId, purpose], count),
    purge: (before, limit) =>
      db.query(
        `DELETE FROM email_tokens WHERE hash IN (SELECT hash FROM email_tokens
         WHERE used_at < $1 OR expires_at < $1 LIMIT $2)`,
        [before, limit],
        count,
      ),
    page: (after, limit) => emailTokens.page(db, 'hash', after, limit),
    insertRecord: (token) => db.query(emailTokens.insert, emailTokens.values(token), nothing),
  }
}
