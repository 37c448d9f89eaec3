import { type Db, nothing, sql } from './sql.js'
import type { SigningKeyStore } from './store.js'
import { signingKeys } from './tables.js'

// Any constant works; it only has to be the same for every instance (migrations use it too).
export const advisoryLock = 7_345_129

/** The signing keys part of the store, over either engine. */
export function signingKeysStore(db: Db): SigningKeyStore {
  return {
    list: () =>
      signingKeys.all(
        db,
        'SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC, kid',
      ),
    insert: (k) => db.query(signingKeys.insert, signingKeys.values(k), nothing),
    insertIfNoneSince: (k, since) =>
      db.transaction(function* () {
        // PostgreSQL: instances starting together take turns (SQLite runs one writer at a time).
        if (db.dialect === 'postgres') {
          yield* sql('SELECT pg_advisory_xact_lock($1, hashtext($2))', [advisoryLock, k.alg])
        }
        const inserted = yield* sql(
          `INSERT INTO signing_keys (${signingKeys.columns}) SELECT $1, $2, $3, $4, $5, $6, NULL
           WHERE NOT EXISTS (SELECT 1 FROM signing_keys
             WHERE alg = $2 AND retired_at IS NULL AND activates_at >= $7)`,
          [k.kid, k.alg, k.publicJwk, k.privateJwk, k.createdAt, k.activatesAt, since],
        )
        return inserted.count === 1
      }),
    revoke: (kid, at, successor) =>
      db.transaction(function* () {
        const revoked = yield* sql(
          `UPDATE signing_keys SET retired_at = $1, private_jwk = NULL
           WHERE kid = $2 AND retired_at IS NULL`,
          [at, kid],
        )
        if (revoked.count === 1) {
          if (successor) yield* sql(signingKeys.insert, signingKeys.values(successor))
          return true
        }
        if (!db.retriesCommitted) return false
        // A retry of this very call whose COMMIT succeeded but whose reply was lost: the key is
        // revoked at this call's own time (and its successor stored). Say so, so the CLI reports
        // the revocation and audits it, instead of "no unrevoked signing key".
        const own = yield* sql(
          `SELECT 1 FROM signing_keys WHERE kid = $1 AND retired_at = $2
           AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM signing_keys WHERE kid = $3))`,
          [kid, at, successor?.kid ?? null],
        )
        return own.count === 1
      }),
  }
}
