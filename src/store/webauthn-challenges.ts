import { count, type Db, nothing } from './sql.js'
import type { WebAuthnChallengeStore } from './store.js'
import { webauthnChallenges } from './tables.js'

// The conditional UPDATE is the single-use guard (WebAuthn §13.4.3): on PostgreSQL it locks
// the row and re-checks used_at on its latest version, so of concurrent callers one gets it.
const consume = `UPDATE webauthn_challenges SET used_at = $4
  WHERE id = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
  AND used_at IS NULL AND expires_at > $4 RETURNING *`

/** The WebAuthn challenges part of the store, over either engine. */
export function webauthnChallengesStore(db: Db): WebAuthnChallengeStore {
  return {
    insert: (c) => db.query(webauthnChallenges.insert, webauthnChallenges.values(c), nothing),
    consume: (id, purpose, userId, at) =>
      webauthnChallenges.first(db, consume, [id, purpose, userId, at]),
    purge: (now, limit) =>
      db.query(
        `DELETE FROM webauthn_challenges WHERE id IN (SELECT id FROM webauthn_challenges
         WHERE expires_at <= $1 OR used_at IS NOT NULL LIMIT $2)`,
        [now, limit],
        count,
      ),
  }
}
