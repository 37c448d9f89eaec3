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
  {
    version: 2,
    name: 'sessions, refresh tokens and server secrets',
    sql: `
      CREATE TABLE sessions (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        last_used_at TIMESTAMPTZ NOT NULL,
        idle_expires_at TIMESTAMPTZ NOT NULL,
        absolute_expires_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE refresh_tokens (
        hash TEXT COLLATE "C" PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL,
        spent_at TIMESTAMPTZ
      );
      CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'signing key activation times',
    sql: `
      ALTER TABLE signing_keys ADD COLUMN activates_at TIMESTAMPTZ;
      UPDATE signing_keys SET activates_at = created_at;
    `,
  },
  {
    version: 4,
    name: 'throttle counters',
    sql: `
      CREATE TABLE throttle (
        key TEXT PRIMARY KEY,
        window_start TEXT NOT NULL,
        count INTEGER NOT NULL,
        blocked_until TEXT
      );
    `,
  },
  {
    version: 5,
    name: 'roles, clients and audit events',
    // Lists are space-separated text as in SQLite, so both engines share one encoding.
    // users_username_c: user search pages in byte order, as SQLite does, whatever the
    // database's collation. No foreign keys from audit_events: the trail outlives the users
    // and clients it names.
    sql: `
      ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT 'user';
      CREATE INDEX users_username_c ON users (username COLLATE "C");
      CREATE INDEX sessions_client ON sessions (client_id);
      CREATE TABLE clients (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT,
        grant_types TEXT NOT NULL,
        scopes TEXT NOT NULL,
        introspect BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE audit_events (
        id TEXT COLLATE "C" PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
        user_id TEXT,
        client_id TEXT,
        actor_id TEXT,
        ip TEXT,
        user_agent TEXT,
        detail TEXT
      );
      CREATE INDEX audit_events_user ON audit_events (user_id, id);
      CREATE INDEX audit_events_type ON audit_events (type, id);
      CREATE INDEX audit_events_at ON audit_events (at);
    `,
  },
  {
    version: 6,
    name: 'index of legacy bcrypt hashes',
    // As in sqlite.ts: keeps re-reading the highest legacy cost an index scan.
    sql: `CREATE INDEX users_legacy_hash ON users (password_hash) WHERE password_hash LIKE '$2%';`,
  },
  {
    version: 7,
    name: 'client registrations, revoked machine tokens, rotation attempts',
    // See sqlite.ts: a random id per client registration, the jti denylist of revoked
    // client_credentials tokens, and which rotation attempt spent a refresh token.
    sql: `
      ALTER TABLE clients ADD COLUMN registration_id TEXT NOT NULL DEFAULT '';
      UPDATE clients SET registration_id = replace(gen_random_uuid()::text, '-', '');
      ALTER TABLE clients ALTER COLUMN registration_id DROP DEFAULT;
      CREATE TABLE revoked_tokens (
        jti TEXT COLLATE "C" PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
      ALTER TABLE refresh_tokens ADD COLUMN spent_by TEXT;
      `,
  },
  {
    version: 8,
    name: 'revoked signing keys lose their private half',
    // Keys retired before this migration never sign again: their private halves go too.
    sql: `
      ALTER TABLE signing_keys ALTER COLUMN private_jwk DROP NOT NULL;
      UPDATE signing_keys SET private_jwk = NULL WHERE retired_at IS NOT NULL;
      `,
  },
  {
    version: 9,
    name: 'throttle counter expiry',
    // As in sqlite.ts: housekeeping deletes a counter once its window and block have passed.
    sql: `
      ALTER TABLE throttle ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
      UPDATE throttle SET expires_at = blocked_until WHERE blocked_until IS NOT NULL;
      CREATE INDEX throttle_expires_at ON throttle (expires_at);
    `,
  },
  {
    version: 10,
    name: 'email verification, email tokens and the mail outbox',
    // As in sqlite.ts: hashed, typed, single-use email tokens and the transactional mail outbox.
    sql: `
      ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false;
      CREATE TABLE email_tokens (
        hash TEXT COLLATE "C" PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        email TEXT NOT NULL,
        email_canonical TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
      CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);
      CREATE TABLE mail_outbox (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        text_body TEXT NOT NULL,
        html_body TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMPTZ NOT NULL,
        claimed_by TEXT,
        claimed_until TIMESTAMPTZ,
        sent_at TIMESTAMPTZ,
        failed_at TIMESTAMPTZ,
        last_error TEXT
      );
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    `,
  },
  {
    version: 11,
    name: 'email token redemption attempts',
    // used_by: which redemption attempt spent an email token, so a retried attempt knows its own
    // (PostgreSQL retries whole transactions; SQLite's are local and never ambiguous).
    sql: `
      ALTER TABLE email_tokens ADD COLUMN used_by TEXT;
    `,
  },
  {
    version: 12,
    name: 'authorization codes, browser sessions and consents',
    // As in sqlite.ts: clients' redirect URIs and flags, codes, browser sessions and consents.
    sql: `
      ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN first_party BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE clients ADD COLUMN resource TEXT;
      ALTER TABLE sessions ADD COLUMN resource TEXT;
      ALTER TABLE sessions ADD COLUMN browser_session_id TEXT;
      CREATE INDEX sessions_browser_session ON sessions (browser_session_id)
        WHERE browser_session_id IS NOT NULL;
      CREATE TABLE browser_sessions (
        id TEXT COLLATE "C" PRIMARY KEY,
        secret_hash TEXT COLLATE "C" NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        auth_time TIMESTAMPTZ NOT NULL,
        amr TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        idle_expires_at TIMESTAMPTZ NOT NULL,
        absolute_expires_at TIMESTAMPTZ NOT NULL,
        ended_at TIMESTAMPTZ
      );
      CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
      CREATE TABLE authorization_codes (
        hash TEXT COLLATE "C" PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        scope TEXT NOT NULL,
        nonce TEXT,
        resource TEXT,
        browser_session_id TEXT NOT NULL,
        auth_time TIMESTAMPTZ NOT NULL,
        amr TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ,
        session_id TEXT
      );
      CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
      CREATE TABLE consents (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (user_id, client_id)
      );
    `,
  },
  {
    version: 13,
    name: 'second factors, recovery codes, MFA tokens and WebAuthn challenges',
    // As in sqlite.ts: factors, recovery codes, MFA tokens, WebAuthn challenges, sessions' amr.
    // sign_count is BIGINT (a WebAuthn counter is 32 bits unsigned); the pool reads int8 as a
    // number (src/store/postgres.ts).
    sql: `
      ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
      ALTER TABLE sessions ADD COLUMN auth_time TIMESTAMPTZ;
      UPDATE sessions SET auth_time = created_at;
      ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL;
      CREATE TABLE mfa_factors (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
        name TEXT NOT NULL,
        secret TEXT,
        last_step INTEGER,
        credential_id TEXT COLLATE "C" UNIQUE,
        public_key TEXT,
        sign_count BIGINT,
        transports TEXT NOT NULL DEFAULT '',
        backup_eligible BOOLEAN NOT NULL DEFAULT false,
        backed_up BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL,
        confirmed_at TIMESTAMPTZ,
        last_used_at TIMESTAMPTZ
      );
      CREATE INDEX mfa_factors_user ON mfa_factors (user_id);
      CREATE UNIQUE INDEX mfa_factors_one_totp ON mfa_factors (user_id) WHERE kind = 'totp';
      CREATE TABLE recovery_codes (
        hash TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
      CREATE TABLE mfa_tokens (
        hash TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        resource TEXT,
        auth_time TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE INDEX mfa_tokens_expiry ON mfa_tokens (expires_at);
      CREATE TABLE webauthn_challenges (
        id TEXT COLLATE "C" PRIMARY KEY,
        challenge TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate')),
        user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
    `,
  },
  {
    version: 14,
    name: 'status change notifications',
    // Every committed change to a row the status cache holds (a session, a user: status, roles
    // and password live in the row) is published on the channel the instances LISTEN on, from a
    // trigger, so the CLI, SQL by hand and other server versions publish too, and in the same
    // transaction: PostgreSQL delivers a NOTIFY only when that transaction commits. Per row, so
    // the payload names the row (`u:<user id>`, `s:<session id>`, a few dozen bytes whatever
    // the statement); identical payloads within a transaction are sent once. Not on INSERT: a
    // new row can only replace an id cached as missing, whose staleness refuses (and lasts at
    // most the cache's TTL). TRUNCATE publishes `*`: forget everything.
    sql: `
      CREATE FUNCTION portcullis_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('portcullis_status', TG_ARGV[0] || OLD.id);
        RETURN NULL;
      END $$;
      CREATE FUNCTION portcullis_status_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('portcullis_status', '*');
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_status_updated AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION portcullis_status_changed('u:');
      CREATE TRIGGER users_status_deleted AFTER DELETE ON users FOR EACH ROW
        EXECUTE FUNCTION portcullis_status_changed('u:');
      CREATE TRIGGER users_status_truncated AFTER TRUNCATE ON users FOR EACH STATEMENT
        EXECUTE FUNCTION portcullis_status_truncated();
      CREATE TRIGGER sessions_status_updated AFTER UPDATE ON sessions FOR EACH ROW
        WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION portcullis_status_changed('s:');
      CREATE TRIGGER sessions_status_deleted AFTER DELETE ON sessions FOR EACH ROW
        EXECUTE FUNCTION portcullis_status_changed('s:');
      CREATE TRIGGER sessions_status_truncated AFTER TRUNCATE ON sessions FOR EACH STATEMENT
        EXECUTE FUNCTION portcullis_status_truncated();
    `,
  },
]
