/**
 * The OpenAPI document is one that tools can use: Redocly's recommended ruleset passes with no
 * error and no warning, every operation has a stable operationId (code generators name client
 * methods after it, so a rename breaks every generated client), and what the document declares
 * is what the server does. Needs the project's @redocly/cli devDependency; without it this test
 * fails (never skips) with the command that installs it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { createServices } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import { testConfig } from '../helpers.js'

/** The project's own redocly (a devDependency); PORTCULLIS_TEST_REDOCLY points elsewhere. */
const redocly =
  process.env.PORTCULLIS_TEST_REDOCLY ||
  fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url))

interface Operation {
  operationId?: string
  security?: unknown[]
  responses: Record<string, unknown>
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>
}

/** The document does not depend on the engine: one in-memory SQLite app is enough. */
async function app(t: TestContext): Promise<FastifyInstance> {
  const config = testConfig()
  const services = await createServices(
    config,
    await openStore(config.store.databaseUrl, config.store.pool),
    new ManualClock(Date.parse('2026-06-01T12:00:00Z')),
  )
  const built = await buildApp(services)
  await built.ready()
  t.after(async () => {
    await built.close()
    await services.store.close()
  })
  return built
}

async function served(t: TestContext): Promise<{ app: FastifyInstance; doc: OpenApi }> {
  const built = await app(t)
  const res = await built.inject('/openapi.json')
  assert.equal(res.statusCode, 200)
  return { app: built, doc: res.json() as OpenApi }
}

const operations = (doc: OpenApi) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  )

interface LintReport {
  totals: { errors: number; warnings: number }
  problems: { ruleId: string; severity: string; message: string; location: unknown[] }[]
}

/** Runs `redocly lint --extends recommended` on a file; resolves with its JSON report. */
function lint(file: string, cwd: string): Promise<LintReport> {
  return new Promise((resolve, reject) => {
    execFile(
      redocly,
      ['lint', '--extends', 'recommended', '--format', 'json', file],
      {
        cwd,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
        // No telemetry and no update check: the test must not reach the network.
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
        },
      },
      // Exit status 1 means "problems found": the report still comes on stdout.
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as LintReport)
        } catch {
          reject(new Error(`redocly gave no report (${error?.message ?? 'no error'}):\n${stderr}`))
        }
      },
    )
  })
}

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended lint with no error and no warning", {
    timeout: 150_000,
  }, async (t) => {
    assert.ok(
      existsSync(redocly),
      `@redocly/cli is not installed at ${redocly}: it is a devDependency, run \`npm install\``,
    )
    const { doc } = await served(t)
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'openapi.json')
    writeFileSync(file, JSON.stringify(doc, null, 2))
    const report = await lint(file, dir)
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)
    assert.deepEqual(problems, [])
    assert.deepEqual(report.totals, { ...report.totals, errors: 0, warnings: 0 })
  })

  it('names every operation with a stable operationId', async (t) => {
    const { doc } = await served(t)
    const ids = Object.fromEntries(operations(doc).map(({ key, op }) => [key, op.operationId]))
    assert.deepEqual(ids, {
      'GET /': 'getWelcome',
      'POST /register': 'registerUser',
      'POST /password/forgot': 'forgotPassword',
      'POST /password/reset': 'resetPassword',
      'POST /token': 'issueToken',
      'GET /authorize': 'authorize',
      'POST /authorize': 'authorizeWithForm',
      'POST /revoke': 'revokeToken',
      'POST /introspect': 'introspectToken',
      'GET /users/me': 'getCurrentUser',
      'DELETE /users/me': 'deleteCurrentUser',
      'PUT /users/me/password': 'changePassword',
      'POST /email/verify': 'verifyEmail',
      'POST /email/verify/resend': 'resendEmailVerification',
      'PUT /users/me/email': 'changeEmail',
      'POST /logout': 'logout',
      'POST /logout/all': 'logoutEverywhere',
      'GET /userinfo': 'getUserInfo',
      'POST /userinfo': 'postUserInfo',
      'GET /users/me/sessions': 'listCurrentUserSessions',
      'DELETE /users/me/sessions/{id}': 'endCurrentUserSession',
      'GET /users/me/mfa': 'listCurrentUserMfa',
      'POST /users/me/mfa/totp': 'enrollTotp',
      'DELETE /users/me/mfa/totp': 'removeTotp',
      'POST /users/me/mfa/totp/confirm': 'confirmTotp',
      'POST /users/me/mfa/recovery-codes': 'regenerateRecoveryCodes',
      'GET /users/me/consents': 'listCurrentUserConsents',
      'DELETE /users/me/consents/{client_id}': 'revokeCurrentUserConsent',
      'POST /admin/users/{id}/password/reset': 'sendPasswordResetLink',
      'GET /admin/users': 'listUsers',
      'GET /admin/users/{id}': 'getUser',
      'DELETE /admin/users/{id}': 'deleteUser',
      'POST /admin/users/{id}/disable': 'disableUser',
      'POST /admin/users/{id}/enable': 'enableUser',
      'PUT /admin/users/{id}/roles': 'setUserRoles',
      'POST /admin/users/{id}/email/verify': 'verifyUserEmail',
      'GET /admin/users/{id}/sessions': 'listUserSessions',
      'DELETE /admin/users/{id}/sessions': 'endUserSessions',
      'DELETE /admin/users/{id}/sessions/{sessionId}': 'endUserSession',
      'DELETE /admin/users/{id}/mfa': 'resetUserMfa',
      'POST /admin/clients': 'createClient',
      'GET /admin/clients': 'listClients',
      'GET /admin/clients/{id}': 'getClient',
      'DELETE /admin/clients/{id}': 'deleteClient',
      'POST /admin/clients/{id}/secret': 'rotateClientSecret',
      'GET /admin/users/{id}/consents': 'listUserConsents',
      'DELETE /admin/users/{id}/consents/{client_id}': 'revokeUserConsent',
      'GET /admin/audit': 'listAuditEvents',
      'POST /admin/keys/{kid}/revoke': 'revokeSigningKey',
      'GET /.well-known/jwks.json': 'getJwks',
      'GET /.well-known/oauth-authorization-server': 'getServerMetadata',
      'GET /.well-known/openid-configuration': 'getOpenIdConfiguration',
      'GET /healthz': 'checkLiveness',
      'GET /readyz': 'checkReadiness',
      'GET /openapi.json': 'getOpenApiDocument',
    })
  })

  it('declares the public GET operations without a Bearer token, and their 400 is real', async (t) => {
    const { app: built, doc } = await served(t)
    const open = operations(doc).filter(({ op }) => op.security?.length === 0)
    assert.deepEqual(
      open.map(({ key }) => key),
      [
        'GET /',
        'POST /register',
        'POST /password/forgot',
        'POST /password/reset',
        'POST /token',
        'GET /authorize',
        'POST /authorize',
        'POST /revoke',
        'POST /introspect',
        'POST /email/verify',
        'GET /.well-known/jwks.json',
        'GET /.well-known/oauth-authorization-server',
        'GET /.well-known/openid-configuration',
        'GET /healthz',
        'GET /readyz',
        'GET /openapi.json',
      ],
    )
    // Every other operation requires the Bearer token.
    for (const { key, op } of operations(doc)) {
      if (op.security?.length === 0) continue
      assert.deepEqual(Object.keys(op.security?.[0] ?? {}), ['OAuth2PasswordBearer'], key)
    }
    for (const { key } of open.filter(({ key }) => key.startsWith('GET '))) {
      const res = await built.inject(`${key.slice(4)}?q=%00`)
      assert.equal(res.statusCode, 400, key)
      assert.equal(res.json().error, 'invalid_request', key)
    }
  })

  it('is served whole: the response schema of /openapi.json drops nothing', async (t) => {
    const { app: built, doc } = await served(t)
    assert.deepEqual(doc, JSON.parse(JSON.stringify(built.swagger())))
  })
})
