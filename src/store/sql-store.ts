import { auditStore } from './audit.js'
import { authorizationCodesStore } from './authorization-codes.js'
import { browserSessionsStore } from './browser-sessions.js'
import { clientsStore } from './clients.js'
import { consentsStore } from './consents.js'
import { countersStore } from './counters.js'
import { emailTokensStore } from './email-tokens.js'
import { advisoryLock, signingKeysStore } from './keys.js'
import { mfaFactorsStore } from './mfa-factors.js'
import { mfaTokensStore } from './mfa-tokens.js'
import { postgresMigrations } from './migrations/postgres.js'
import { sqliteMigrations } from './migrations/sqlite.js'
import { outboxStore } from './outbox.js'
import { recoveryCodesStore } from './recovery-codes.js'
import { revokedTokensStore } from './revoked-tokens.js'
import { secretsStore, sessionsStore } from './sessions.js'
import { type Body, type Db, script, sql } from './sql.js'
import { type SecretChange, type Store, type TableName, tableNames } from './store.js'
import { usersStore } from './users.js'
import { webauthnChallengesStore } from './webauthn-challenges.js'

/** `keys seal`'s conditional update of one stored secret, per table. */
const replaceSecret: Record<SecretChange['table'], string> = {
  signing_keys: 'UPDATE signing_keys SET private_jwk = $1 WHERE kid = $2 AND private_jwk = $3',
  server_secrets: 'UPDATE server_secrets SET value = $1 WHERE name = $2 AND value = $3',
  mfa_factors: 'UPDATE mfa_factors SET secret = $1 WHERE id = $2 AND secret = $3',
}

/** Applies the engine's pending migrations in one transaction; returns the versions applied. */
export function* migrate(db: Pick<Db, 'dialect'>): Body<number[]> {
  const pg = db.dialect === 'postgres'
  // PostgreSQL: instances starting together take turns; the loser finds the work done.
  if (pg) yield* sql('SELECT pg_advisory_xact_lock($1)', [advisoryLock])
  yield* script(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,
    name TEXT NOT NULL, applied_at ${pg ? 'TIMESTAMPTZ NOT NULL)' : 'TEXT NOT NULL) STRICT'}`)
  const { rows } = yield* sql<{ version: number }>('SELECT version FROM schema_migrations')
  const applied = new Set(rows.map((r) => r.version))
  const done: number[] = []
  const at = new Date().toISOString()
  for (const m of pg ? postgresMigrations : sqliteMigrations) {
    if (applied.has(m.version)) continue
    yield* script(m.sql)
    yield* sql('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, at])
    done.push(m.version)
  }
  return done
}

/** The Store over a driver: every table's SQL is written once, in the files it imports. */
export function sqlStore(db: Db, appliedAtOpen: readonly number[]): Store {
  return {
    engine: db.dialect,
    users: usersStore(db),
    signingKeys: signingKeysStore(db),
    sessions: sessionsStore(db),
    secrets: secretsStore(db),
    counters: countersStore(db),
    clients: clientsStore(db),
    audit: auditStore(db),
    revokedTokens: revokedTokensStore(db),
    emailTokens: emailTokensStore(db),
    outbox: outboxStore(db),
    authorizationCodes: authorizationCodesStore(db),
    browserSessions: browserSessionsStore(db),
    consents: consentsStore(db),
    mfaFactors: mfaFactorsStore(db),
    recoveryCodes: recoveryCodesStore(db),
    mfaTokens: mfaTokensStore(db),
    webauthnChallenges: webauthnChallengesStore(db),
    ping: async () => {
      await db.query('SELECT 1')
    },
    counts: async () =>
      (
        await db.query(
          `SELECT ${tableNames.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`,
        )
      ).rows[0] as Record<TableName, number>,
    clear: () =>
      db.transaction(function* () {
        for (const t of [...tableNames].reverse()) yield* sql(`DELETE FROM ${t}`)
      }),
    replaceSecrets: (changes) =>
      db.transaction(function* () {
        let changed = 0
        for (const c of changes) {
          changed += (yield* sql(replaceSecret[c.table], [c.next, c.id, c.expected])).count
        }
        return changed
      }),
    migrate: () => db.transaction(() => migrate(db)),
    appliedAtOpen,
    close: () => db.close(),
  }
}
