/** A forward-only schema change. Versions are applied in order and recorded in schema_migrations. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * SQLite migrations. Timestamps are ISO-8601 UTC text, booleans 0/1, lists (roles, grant types,
 * scopes) space-separated text.
 */
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
  {
    version: 2,
    name: 'sessions, refresh tokens and server secrets',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL,
        idle_expires_at TEXT NOT NULL,
        absolute_expires_at TEXT NOT NULL,
        revoked_at TEXT
      ) STRICT;
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        spent_at TEXT
      ) STRICT;
      CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'signing key activation times',
    sql: `
      ALTER TABLE signing_keys ADD COLUMN activates_at TEXT;
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
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'roles, clients and audit events',
    // No foreign keys from audit_events: the trail outlives the users and clients it names.
    sql: `
      ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT 'user';
      CREATE INDEX sessions_client ON sessions (client_id);
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT,
        grant_types TEXT NOT NULL,
        scopes TEXT NOT NULL,
        introspect INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
        user_id TEXT,
        client_id TEXT,
        actor_id TEXT,
        ip TEXT,
        user_agent TEXT,
        detail TEXT
      ) STRICT;
      CREATE INDEX audit_events_user ON audit_events (user_id, id);
      CREATE INDEX audit_events_type ON audit_events (type, id);
      CREATE INDEX audit_events_at ON audit_events (at);
    `,
  },
  {
    version: 6,
    name: 'index of legacy bcrypt hashes',
    // Servers re-read the highest legacy cost every few seconds (equal-time failure padding for
    // hashes imported while they run): this keeps that an index scan of the legacy rows only.
    sql: `CREATE INDEX users_legacy_hash ON users (password_hash) WHERE password_hash LIKE '$2%';`,
  },
  {
    version: 7,
    name: 'client registrations, revoked machine tokens, rotation attempts',
    // registration_id: a random id per registration, carried by client_credentials tokens, so a
    // client_id deleted and registered again never revives the old registration's tokens.
    // revoked_tokens: jti of revoked client_credentials tokens (no session to end), until expiry.
    // spent_by: which rotation attempt spent a refresh token, so a retried attempt knows its own
    // (PostgreSQL retries whole transactions; SQLite's are local and never ambiguous).
    sql: `
      ALTER TABLE clients ADD COLUMN registration_id TEXT NOT NULL DEFAULT '';
      UPDATE clients SET registration_id = lower(hex(randomblob(16)));
      CREATE TABLE revoked_tokens (
        jti TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
      ALTER TABLE refresh_tokens ADD COLUMN spent_by TEXT;
      `,
  },
  {
    version: 8,
    name: 'revoked signing keys lose their private half',
    // SQLite cannot drop NOT NULL in place: the table is rebuilt. Keys retired before this
    // migration never sign again, so their private halves are deleted too.
    sql: `
      CREATE TABLE signing_keys_v7 (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT,
        created_at TEXT NOT NULL,
        retired_at TEXT,
        activates_at TEXT
      ) STRICT;
      INSERT INTO signing_keys_v7 (kid, alg, public_jwk, private_jwk, created_at, retired_at,
        activates_at)
        SELECT kid, alg, public_jwk, CASE WHEN retired_at IS NULL THEN private_jwk END,
          created_at, retired_at, activates_at FROM signing_keys;
      DROP TABLE signing_keys;
      ALTER TABLE signing_keys_v7 RENAME TO signing_keys;
      `,
  },
  {
    version: 9,
    name: 'throttle counter expiry',
    // When a counter's window and block have both passed, housekeeping deletes its row: an attack
    // with random usernames must not grow the table without bound. Rows from before this
    // migration expire at their block (or at once).
    sql: `
      ALTER TABLE throttle ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
      UPDATE throttle SET expires_at = blocked_until WHERE blocked_until IS NOT NULL;
      CREATE INDEX throttle_expires_at ON throttle (expires_at);
    `,
  },
  {
    version: 10,
    name: 'email verification, email tokens and the mail outbox',
    // Email tokens are stored hashed, typed and single-use; the outbox holds each message from
    // the transaction that issued its token until it is sent (a transactional outbox: no token
    // without its message, no message lost to a restart).
    sql: `
      ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE email_tokens (
        hash TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        email TEXT NOT NULL,
        email_canonical TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      ) STRICT;
      CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
      CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);
      CREATE TABLE mail_outbox (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        text_body TEXT NOT NULL,
        html_body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        sent_at TEXT,
        failed_at TEXT,
        last_error TEXT
      ) STRICT;
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
    // The authorization code flow and OpenID Connect: clients gain redirect URIs, a first-party
    // flag and the resource they serve; sessions remember their audience and the browser session
    // they came from; codes are stored hashed and single-use (the session their redemption
    // started is kept, so a second use can revoke it); browser sessions hold the provider login
    // (only the cookie's hash); consents remember what a user allowed a client.
    sql: `
      ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN first_party INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE clients ADD COLUMN resource TEXT;
      ALTER TABLE sessions ADD COLUMN resource TEXT;
      ALTER TABLE sessions ADD COLUMN browser_session_id TEXT;
      CREATE INDEX sessions_browser_session ON sessions (browser_session_id)
        WHERE browser_session_id IS NOT NULL;
      CREATE TABLE browser_sessions (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        auth_time TEXT NOT NULL,
        amr TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        idle_expires_at TEXT NOT NULL,
        absolute_expires_at TEXT NOT NULL,
        ended_at TEXT
      ) STRICT;
      CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
      CREATE TABLE authorization_codes (
        hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        scope TEXT NOT NULL,
        nonce TEXT,
        resource TEXT,
        browser_session_id TEXT NOT NULL,
        auth_time TEXT NOT NULL,
        amr TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        session_id TEXT
      ) STRICT;
      CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
      CREATE TABLE consents (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, client_id)
      ) STRICT;
    `,
  },
  {
    version: 13,
    name: 'second factors, recovery codes, MFA tokens and WebAuthn challenges',
    // Second factors: TOTP authenticators and passkeys in one table (a passkey is also a
    // username-less sign-in), recovery codes stored hashed, the tokens that carry a checked
    // password to its second step, and single-use WebAuthn challenges. Sessions remember how
    // and when their sign-in happened (RFC 8176 amr, auth_time) so a refresh keeps them;
    // sessions from before this version were password sign-ins.
    sql: `
      ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
      ALTER TABLE sessions ADD COLUMN auth_time TEXT NOT NULL DEFAULT '';
      UPDATE sessions SET auth_time = created_at;
      CREATE TABLE mfa_factors (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
        name TEXT NOT NULL,
        secret TEXT,
        last_step INTEGER,
        credential_id TEXT UNIQUE,
        public_key TEXT,
        sign_count INTEGER,
        transports TEXT NOT NULL DEFAULT '',
        backup_eligible INTEGER NOT NULL DEFAULT 0,
        backed_up INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        last_used_at TEXT
      ) STRICT;
      CREATE INDEX mfa_factors_user ON mfa_factors (user_id);
      CREATE UNIQUE INDEX mfa_factors_one_totp ON mfa_factors (user_id) WHERE kind = 'totp';
      CREATE TABLE recovery_codes (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        used_at TEXT
      ) STRICT;
      CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
      CREATE TABLE mfa_tokens (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        resource TEXT,
        auth_time TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      ) STRICT;
      CREATE INDEX mfa_tokens_expiry ON mfa_tokens (expires_at);
      CREATE TABLE webauthn_challenges (
        id TEXT PRIMARY KEY,
        challenge TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate')),
        user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      ) STRICT;
      CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
    `,
  },
  {
    version: 14,
    name: 'status change notifications',
    // PostgreSQL only: SQLite has no LISTEN/NOTIFY, so processes sharing a SQLite file (the
    // CLI beside the server) see each other's changes within the cache's TTL. Kept empty so
    // both engines number their migrations alike.
    sql: '',
  },
]
