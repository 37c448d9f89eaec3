import type { Migration } from './sqlite.js'

/** PostgreSQL migrations: the same tables and versions as sqlite.ts, in PostgreSQL types. */
export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'users and signing keys',
    sql: `
      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        email TEXT,
        email_canonical TEXT UNIQUE,
        full_name TEXT,
        password_hash TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        retired_at TIMESTAMPTZ
      );
    `,
  },
]
