/**
 * Which test files depend on the store engine. `npm test` (test/run.ts) runs every test file on
 * SQLite, then the files in `everyEngine` again on PostgreSQL.
 *
 * A file that builds the app or opens a store (see `storeMarker`) must be declared in exactly one
 * of the two lists below, and every declared file must exist: the runner refuses to start
 * otherwise, so a new suite cannot silently skip PostgreSQL and a renamed one cannot silently
 * drop out of the PostgreSQL pass.
 */

/** Suites that run on the engine of the pass (`PORTCULLIS_TEST_ENGINE`): run on both. */
export const everyEngine: readonly string[] = [
  'test/cli/mail-status.test.ts',
  'test/auth/authorization/flow.test.ts',
  'test/auth/email-verification.test.ts',
  'test/auth/browser-sessions.test.ts',
  'test/auth/passkeys.test.ts',
  'test/routes/passkeys.test.ts',
  'test/routes/login-passkey.test.ts',
  'test/auth/grants-client-credentials.test.ts',
  'test/auth/grants-password.test.ts',
  'test/auth/grants-refresh.test.ts',
  'test/auth/grants-throttle.test.ts',
  'test/auth/mfa-logins.test.ts',
  'test/auth/key-public-half.test.ts',
  'test/auth/mfa-service.test.ts',
  'test/auth/password-recovery.test.ts',
  'test/auth/mail-purge.test.ts',
  'test/auth/authorization-purge.test.ts',
  'test/auth/mfa-purge.test.ts',
  'test/auth/access-token-claims.test.ts',
  'test/auth/client-registration.test.ts',
  'test/auth/secret-sealing.test.ts',
  'test/auth/sessions-purge.test.ts',
  'test/auth/user-admin-password.test.ts',
  'test/docs/openapi-description.test.ts',
  'test/http/bearer-challenge.test.ts',
  'test/http/client-ip.test.ts',
  'test/http/cors.test.ts',
  'test/http/error-handler.test.ts',
  'test/http/authenticate-paths.test.ts',
  'test/http/hot-path.test.ts',
  'test/http/load-shedding.test.ts',
  'test/metrics/scripted-sequence.test.ts',
  'test/http/one-reading.test.ts',
  'test/mail/kill.test.ts',
  'test/mail/sender.test.ts',
  'test/routes/admin-clients.test.ts',
  'test/routes/admin-email.test.ts',
  'test/routes/admin-users.test.ts',
  'test/routes/audit.test.ts',
  'test/routes/authorize.test.ts',
  'test/routes/authorize-attacks.test.ts',
  'test/routes/authorize-code.test.ts',
  'test/routes/clients.test.ts',
  'test/routes/consent-page.test.ts',
  'test/routes/consents.test.ts',
  'test/routes/email-change.test.ts',
  'test/routes/email-limits.test.ts',
  'test/routes/email-smtp.test.ts',
  'test/routes/docs-client.test.ts',
  'test/routes/email-verify.test.ts',
  'test/routes/email-pages.test.ts',
  'test/routes/failure-timing.test.ts',
  'test/routes/introspect.test.ts',
  'test/routes/logout.test.ts',
  'test/routes/key-revoke.test.ts',
  'test/routes/login-page.test.ts',
  'test/routes/login-mfa.test.ts',
  'test/routes/login-mfa-sessions.test.ts',
  'test/routes/keys-discovery.test.ts',
  'test/routes/machine-tokens.test.ts',
  'test/routes/meta.test.ts',
  'test/routes/mfa.test.ts',
  'test/routes/mfa-factor-changes.test.ts',
  'test/routes/mfa-admin.test.ts',
  'test/routes/mfa-grant.test.ts',
  'test/routes/mfa-grant-enrollment.test.ts',
  'test/routes/step-up.test.ts',
  'test/routes/openid-configuration.test.ts',
  'test/routes/password-forgot-enumeration.test.ts',
  'test/routes/password-grant-switch.test.ts',
  'test/routes/forgot-password-page.test.ts',
  'test/routes/password-reset.test.ts',
  'test/routes/password-smtp.test.ts',
  'test/routes/refresh-token-grant.test.ts',
  'test/routes/refresh.test.ts',
  'test/routes/refresh-oidc.test.ts',
  'test/routes/register-user-fields.test.ts',
  'test/routes/register.test.ts',
  'test/routes/require-verified.test.ts',
  'test/routes/resources-audience.test.ts',
  'test/routes/resources.test.ts',
  'test/routes/revoke.test.ts',
  'test/routes/scopes.test.ts',
  'test/routes/sessions.test.ts',
  'test/routes/throttle-race.test.ts',
  'test/routes/throttle.test.ts',
  'test/routes/token-spelling.test.ts',
  'test/routes/token.test.ts',
  'test/routes/users-me.test.ts',
  'test/routes/userinfo.test.ts',
  'test/timers.test.ts',
]

/**
 * Suites that build the app or open a store but need one pass only, each with the reason: they
 * pick their engines themselves, or what they check does not depend on the engine.
 */
export const oneEngine: Readonly<Record<string, string>> = {
  'test/browser/login-pages.test.ts':
    'drives the login and consent pages in Chromium; the pages run on both engines in test/routes/login-page.test.ts and consent-page.test.ts',
  'test/browser/email-pages.test.ts':
    'drives the pages in Chromium; the flows behind them run on both engines in test/routes/email-pages.test.ts',
  'test/browser/passkeys.test.ts':
    'passkeys in Chromium with a virtual authenticator; the routes behind it run on both engines in test/routes/passkeys.test.ts and login-passkey.test.ts',
  'test/browser/mfa-login.test.ts':
    'drives the second step in Chromium; every branch runs on both engines in test/routes/login-mfa.test.ts',
  'test/browser/oidc-interop.test.ts':
    'openid-client in Chromium against a listening server; the flows behind it run on both engines in test/routes/',
  'test/auth/access-tokens.test.ts': 'the token service on an in-memory SQLite store',
  'test/metrics/shed-count.test.ts':
    'counts refusals of event-loop load shedding, which no store call takes part in; the store metrics run on both engines in test/metrics/scripted-sequence.test.ts',
  'test/auth/resources.test.ts': 'the token service on an in-memory SQLite store',
  'test/auth/id-tokens.test.ts': 'the ID token service on an in-memory SQLite store',
  'test/auth/key-rotation.test.ts': 'the key ring on an in-memory SQLite store',
  'test/auth/keys.test.ts': 'the key ring on an in-memory SQLite store',
  'test/cli/bootstrap.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/clients.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/import-dry-run.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/services.test.ts': 'the composition root on an in-memory SQLite store',
  'test/cli/import-user-fields.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/import.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/keys.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/users-account.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/users-email.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/users-mfa-reset.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/users.test.ts': 'the CLI on a SQLite file, read back by name',
  'test/cli/db-copy.test.ts': 'copies between SQLite and PostgreSQL, both opened by name',
  'test/cli/import-scale.test.ts': 'a timed bulk import into a SQLite file the test names',
  'test/cli/main.test.ts': 'runs each command on SQLite and on PostgreSQL, both opened by name',
  'test/docs/openapi-lint.test.ts': 'the OpenAPI document does not depend on the engine',
  'test/multi-instance.test.ts': 'instances sharing one PostgreSQL, opened by name',
  'test/multi-instance-invalidation.test.ts':
    'instances sharing one PostgreSQL (LISTEN/NOTIFY), opened by name',
  'test/cluster.test.ts':
    'worker processes on a SQLite file and on PostgreSQL, both opened by name',
  'test/server.test.ts': 'starts the process on SQLite and on PostgreSQL, both opened by name',
  'test/store/file-modes.test.ts': 'file permissions of a SQLite database file',
  'test/store/postgres.test.ts': 'the store contract on PostgreSQL, opened by name',
  'test/store/sqlite.test.ts': 'the store contract on SQLite, opened by name',
  'test/store/status-cache.test.ts': 'the cache in front of a store, tested on in-memory SQLite',
  'test/store/status-cache-feed.test.ts':
    'the cache following a feed the test drives, over an in-memory SQLite store',
}

/** Text that shows a test file builds the app, assembles the services or opens a store. */
export const storeMarker =
  /\b(?:buildTestApp|buildApp|createServices|open\w*Store|freshDatabaseUrl|sharedDatabaseUrl|testPostgresUrl)\(/

/**
 * What is wrong with the declarations for these test files (paths relative to the repository
 * root, as `everyEngine` spells them), one sentence each; empty when nothing is.
 */
export function declarationProblems(
  files: readonly string[],
  readText: (file: string) => string,
  declared: { everyEngine: readonly string[]; oneEngine: Readonly<Record<string, string>> } = {
    everyEngine,
    oneEngine,
  },
): string[] {
  const problems: string[] = []
  const present = new Set(files)
  const single = Object.keys(declared.oneEngine)
  for (const file of [...declared.everyEngine, ...single]) {
    if (!present.has(file)) problems.push(`${file} is declared but does not exist`)
  }
  for (const file of declared.everyEngine.filter((f) => single.includes(f))) {
    problems.push(`${file} is declared both in everyEngine and in oneEngine`)
  }
  for (const file of files) {
    if (declared.everyEngine.includes(file) || single.includes(file)) continue
    if (storeMarker.test(readText(file)))
      problems.push(
        `${file} builds the app or opens a store but is not declared: add it to everyEngine (run again on PostgreSQL) or to oneEngine with the reason`,
      )
  }
  return problems
}
