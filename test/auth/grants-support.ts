import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { GrantContext } from '../../src/auth/grants/grant.js'
import { ManualClock } from '../../src/clock.js'
import { ApiError, type ErrorCode } from '../../src/errors.js'
import { createServices, type Services } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import type { ClientRecord } from '../../src/store/store.js'
import { PASSWORD, testConfig } from '../helpers.js'
import { freshDatabaseUrl } from '../support/engines.js'

export { PASSWORD }

export interface GrantHarness {
  services: Services
  clock: ManualClock
  /** A context for `client` from one address, as the token route would build it. */
  context(client?: ClientRecord, extra?: Partial<GrantContext>): GrantContext
  /** Registers a user through the service; returns its id. */
  register(username: string, extra?: { email?: string; roles?: string[] }): Promise<string>
  /** The audit records of `type`, oldest first. */
  audit(
    type: string,
  ): Promise<
    Array<{ userId: string | null; ip: string | null; detail: Record<string, unknown> | null }>
  >
}

/** The grant service on a fresh store (no HTTP), with a manual clock; closed after the test. */
export async function grantHarness(
  t: TestContext,
  env: Record<string, string> = {},
): Promise<GrantHarness> {
  const config = testConfig({ PORTCULLIS_DATABASE_URL: await freshDatabaseUrl(t), ...env })
  const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  t.after(() => store.close())
  const services = await createServices(config, store, clock)
  return {
    services,
    clock,
    context: (client = services.clients.builtin, extra = {}) => ({
      ip: '192.0.2.10',
      userAgent: 'grants-test',
      client,
      ...extra,
    }),
    register: async (username, extra = {}) =>
      (await services.users.register({ username, password: PASSWORD, ...extra })).id,
    audit: async (type) =>
      (await services.audit.list({ type, limit: 100 })).reverse().map((r) => ({
        userId: r.userId,
        ip: r.ip,
        detail: r.detail === null ? null : JSON.parse(r.detail),
      })),
  }
}

/** Asserts that `promise` rejects with the ApiError `code` (and a description matching `description`). */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  description?: RegExp,
): Promise<ApiError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}, got a token`),
    (e: unknown) => e,
  )
  assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`)
  assert.equal(error.code, code, error.description)
  if (description) assert.match(error.description, description)
  return error
}
