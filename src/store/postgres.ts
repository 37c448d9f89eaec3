import { counterStore } from './counters.js'
import { postgresMigrations } from './migrations/postgres.js'
import { createPgDriver, type PostgresOptions } from './pg-driver.js'
import { type KeyRow, toKey } from './pg-rows.js'
import { postgresAudit } from './postgres-audit.js'
import { postgresClients } from './postgres-clients.js'
import { postgresRevokedTokens } from './postgres-revoked-tokens.js'
import { postgresSecrets, postgresSessions } from './postgres-sessions.js'
import { postgresUsers } from './postgres-users.js'
import { type SigningKeyRecord, type Store, type TableName, tableNames } from './store.js'

// Any constant works; it only has to be the same for every instance running migrations.
const migrationLock = 7_345_129

const insertKey = `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at,
  retired_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
const keyValues = (k: SigningKeyRecord) => [
  k.kid,
  k.alg,
  k.publicJwk,
  k.privateJwk,
  k.createdAt,
  k.retiredAt,
  k.activatesAt,
]

/**
 * Opens the PostgreSQL store over a connection pool. Failures follow createPgDriver: transient
 * ones retried, the rest StoreUnavailableError (HTTP 503), unique violations naming their column.
 */
export function openPostgresStore(url: string, options: PostgresOptions): Store {
  const driver = createPgDriver(url, options)
  const { query, transaction } = driver

  const migrate = () =>
    transaction(async (client) => {
      // Instances starting together take turns; the loser finds the work done.
      await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock])
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`)
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations',
      )
      const applied = new Set(rows.map((r) => r.version))
      const done: number[] = []
      for (const m of postgresMigrations) {
        if (applied.has(m.version)) continue
        await client.query(m.sql)
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, now())', [
          m.version,
          m.name,
        ])
        done.push(m.version)
      }
      return done
    })

  return {
    engine: 'postgres',
    users: postgresUsers(driver),
    signingKeys: {
      list: async () =>
        (
          await query<KeyRow>(
            'SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC, kid',
          )
        ).rows.map(toKey),
      insert: async (k) => {
        await query(insertKey, keyValues(k))
      },
      insertIfNoneSince: (k, since) =>
        transaction(async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
            migrationLock,
            k.alg,
          ])
          const result = await client.query(
            `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, retired_at,
             activates_at) SELECT $1, $2, $3, $4, $5, NULL, $6
             WHERE NOT EXISTS (SELECT 1 FROM signing_keys
               WHERE alg = $2 AND retired_at IS NULL AND activates_at >= $7)`,
            [k.kid, k.alg, k.publicJwk, k.privateJwk, k.createdAt, k.activatesAt, since],
          )
          return result.rowCount === 1
        }),
      revoke: (kid, at, successor) =>
        transaction(async (client) => {
          const revoked = await client.query(
            `UPDATE signing_keys SET retired_at = $1, private_jwk = NULL
             WHERE kid = $2 AND retired_at IS NULL`,
            [at, kid],
          )
          if (revoked.rowCount !== 1) {
            // A retry of this very call whose COMMIT succeeded but whose reply was lost: the key
            // is revoked at this call's own time (and its successor stored). Say so, so the CLI
            // reports the revocation and audits it, instead of "no unrevoked signing key".
            const own = await client.query(
              `SELECT 1 FROM signing_keys WHERE kid = $1 AND retired_at = $2
               AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM signing_keys WHERE kid = $3))`,
              [kid, at, successor?.kid ?? null],
            )
            return own.rowCount === 1
          }
          if (successor) await client.query(insertKey, keyValues(successor))
          return true
        }),
    },
    replaceSecrets: (changes) =>
      transaction(async (client) => {
        let changed = 0
        for (const c of changes) {
          const sql =
            c.table === 'signing_keys'
              ? 'UPDATE signing_keys SET private_jwk = $1 WHERE kid = $2 AND private_jwk = $3'
              : 'UPDATE server_secrets SET value = $1 WHERE name = $2 AND value = $3'
          changed += (await client.query(sql, [c.next, c.id, c.expected])).rowCount ?? 0
        }
        return changed
      }),
    async counts() {
      const entries = await Promise.all(
        tableNames.map(async (t) => {
          const { rows } = await query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)
          return [t, Number(rows[0]?.n ?? 0)] as const
        }),
      )
      return Object.fromEntries(entries) as Record<TableName, number>
    },
    clear: () =>
      transaction(async (client) => {
        await client.query(`TRUNCATE ${[...tableNames].reverse().join(', ')}`)
      }),
    sessions: postgresSessions(driver),
    counters: counterStore(async <R>(sql: string, values: unknown[]) => {
      let n = 0
      const text = sql.replace(/\?/g, () => `$${++n}`)
      return (await query(text, values)).rows as R[]
    }),
    secrets: postgresSecrets(driver),
    clients: postgresClients(driver),
    audit: postgresAudit(driver),
    revokedTokens: postgresRevokedTokens(driver),
    ping: async () => {
      await query('SELECT 1')
    },
    migrate,
    appliedAtOpen: [],
    close: () => driver.close(),
  }
}
