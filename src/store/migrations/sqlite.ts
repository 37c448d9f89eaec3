/** A forward-only schema change. Versions are applied in order and recorded in schema_migrations. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/** SQLite migrations. Timestamps are ISO-8601 UTC text, booleans 0/1. */
export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'users and signing keys',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        email TEXT,
        email_canonical TEXT UNIQUE,
        full_name TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at TEXT NOT NULL,
        retired_at TEXT
      ) STRICT;
    `,
  },
]
