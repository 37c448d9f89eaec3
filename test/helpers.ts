import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { buildApp } from '../src/app.js'
import { ManualClock } from '../src/clock.js'
import { type Config, loadConfig } from '../src/config.js'
import { createLoggers } from '../src/loggers.js'
import { createServices, type Services } from '../src/services.js'
import { openStore } from '../src/store/open-store.js'
import { freshDatabaseUrl } from './support/engines.js'

export const ISSUER = 'http://portcullis.test'
export const PASSWORD = 'correct horse battery staple'

/** Test configuration: in-memory SQLite, cheap argon2 (tests only), silent logs. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
    PORTCULLIS_ISSUER: ISSUER,
    PORTCULLIS_ARGON2_MEMORY_KIB: '256',
    PORTCULLIS_ARGON2_ITERATIONS: '1',
    PORTCULLIS_LOG_LEVEL: 'silent',
    // Tests that are about limits turn them on; the rest register and log in freely.
    PORTCULLIS_RATE_LIMITS: 'false',
    // Load shedding answers 503 when the event loop lags: on a busy CI machine that would fail
    // unrelated tests. The load-shedding tests set it themselves.
    PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  })
}

export interface TestApp {
  app: FastifyInstance
  services: Services
  clock: ManualClock
}

export interface TestAppOptions {
  env?: Record<string, string>
  logStream?: DestinationStream
  clock?: ManualClock
  /** The database to use (e.g. one shared by two apps); default a fresh one. */
  databaseUrl?: string
}

/** A ready app on a fresh store with a manual clock; closed after the test. */
export async function buildTestApp(t: TestContext, options: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig({
    PORTCULLIS_DATABASE_URL: options.databaseUrl ?? (await freshDatabaseUrl(t)),
    ...options.env,
  })
  const clock = options.clock ?? new ManualClock(Date.parse('2026-06-01T12:00:00Z'))
  const store = await openStore(config.store.databaseUrl, config.store.pool)
  const services = await createServices(
    config,
    store,
    clock,
    createLoggers(config.http.logLevel, options.logStream),
  )
  const app = await buildApp(services)
  await app.ready()
  // The hasher warms up in the background; tests that count its work start after it.
  await services.hasher.warmedUp()
  // As the process does on shutdown: the app first, then the store.
  t.after(async () => {
    await app.close()
    await store.close()
  })
  return { app, services, clock }
}

/** Registers a user over HTTP and asserts it worked. */
export async function registerUser(
  app: FastifyInstance,
  username: string,
  password = PASSWORD,
  extra: Record<string, string> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/register',
    payload: { username, password, ...extra },
  })
  if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`)
  return res.json() as { id: string; username: string }
}

/** POSTs an x-www-form-urlencoded body to /token. */
export function postToken(
  app: FastifyInstance,
  form: Record<string, string> | string,
  headers = {},
  options: { remoteAddress?: string } = {},
) {
  return app.inject({
    ...options,
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  })
}

/** Logs in and returns the access token. */
export async function login(app: FastifyInstance, username: string, password = PASSWORD) {
  const res = await postToken(app, { username, password })
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`)
  return (res.json() as { access_token: string }).access_token
}

/** GET /users/me with the given Authorization header value. */
export function getMe(app: FastifyInstance, authorization?: string) {
  return app.inject({
    method: 'GET',
    url: '/users/me',
    headers: authorization === undefined ? {} : { authorization },
  })
}

/** Registers a user, makes it an admin, and returns its id and an access token with `admin`. */
export async function adminLogin({ app, services }: TestApp, username = 'root') {
  const user = await registerUser(app, username)
  await services.store.users.setRoles(user.id, ['user', 'admin'], new Date().toISOString())
  const res = await postToken(app, { username, password: PASSWORD, scope: 'profile admin' })
  if (res.statusCode !== 200) throw new Error(`admin login: ${res.statusCode} ${res.body}`)
  return { id: user.id, token: (res.json() as { access_token: string }).access_token }
}

/** Creates a registered client through the service; returns it with its secret (if any). */
export function createClient(
  { services }: TestApp,
  input: Partial<import('../src/auth/clients.js').ClientInput> = {},
) {
  return services.clients.create(
    {
      name: 'test client',
      confidential: true,
      grantTypes: ['client_credentials'],
      scopes: ['email'],
      ...input,
    },
    { id: 'test' },
  )
}

/** HTTP Basic credentials of a client (RFC 6749 §2.3.1: form-urlencoded, then base64). */
export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
