import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { startMetricsListener } from '../../src/metrics/listener.js'
import { exposition } from '../../src/metrics/registry.js'
import { buildTestApp, getMe, PASSWORD, postToken, registerUser } from '../helpers.js'
import { outboxMessage } from '../mail/outbox-fixture.js'
import { labelSets, type Parsed, parseExposition, sampleValue } from './exposition.js'

/** The Store contract's method names, as `part.method`: the only `method` label values allowed. */
const storeParts = [
  'users',
  'signingKeys',
  'sessions',
  'secrets',
  'counters',
  'clients',
  'audit',
  'revokedTokens',
  'emailTokens',
  'outbox',
  'authorizationCodes',
  'browserSessions',
  'consents',
  'mfaFactors',
  'recoveryCodes',
  'mfaTokens',
  'webauthnChallenges',
]

const http = 'portcullis_http_request_duration_seconds_count'
const hashWaits = 'portcullis_password_hash_wait_seconds_count'

describe('metrics after a scripted sequence of requests', () => {
  it('count each outcome exactly, by route template and status class, with bounded labels only', async (t) => {
    const { app, services, clock } = await buildTestApp(t, {
      env: {
        PORTCULLIS_RATE_LIMITS: 'true',
        PORTCULLIS_LOGIN_DELAY_AFTER: '2',
        // Request durations are observed only where a metrics listener is configured; this test
        // starts its own listener on the services' registry, so the port itself is never bound.
        PORTCULLIS_METRICS_PORT: '9464',
      },
    })
    // Each services instance has a registry of its own (see src/metrics/registry.ts), so other
    // test apps in this process cannot change these counts; the listener is the server's.
    const listener = await startMetricsListener({ host: '127.0.0.1', port: 0 }, () =>
      exposition(services.metrics.registry),
    )
    t.after(() => listener.close())
    const scrape = async (): Promise<{ text: string; parsed: Parsed }> => {
      const res = await fetch(`${listener.url}/metrics`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      const text = await res.text()
      return { text, parsed: parseExposition(text) }
    }
    const before = (await scrape()).parsed
    // The hashes of start-up (the dummy hash and its samples) are counted before the script.
    const hashesBefore = sampleValue(before, hashWaits)

    await registerUser(app, 'alice')
    const good = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(good.statusCode, 200)
    const { access_token: access, refresh_token: refresh } = good.json() as {
      access_token: string
      refresh_token: string
    }
    for (let i = 0; i < 2; i++) assert.equal((await getMe(app, `Bearer ${access}`)).statusCode, 200)
    const rotated = await postToken(app, { grant_type: 'refresh_token', refresh_token: refresh })
    assert.equal(rotated.statusCode, 200)
    const reused = await postToken(app, { grant_type: 'refresh_token', refresh_token: refresh })
    assert.equal(reused.statusCode, 400)
    assert.match(reused.json().error_description, /already used/)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await postToken(app, { username: 'alice', password: 'wrong password!' })).statusCode,
      )
    }
    // Two failures, then the pair's block: the third attempt is refused before any check.
    assert.deepEqual(statuses, [400, 400, 429])
    const secret = randomBytes(12).toString('hex')
    assert.equal((await app.inject(`/no-such-place/${secret}`)).statusCode, 404)
    await services.store.outbox.enqueue(outboxMessage(new Date(clock.now()).toISOString()))

    const { text, parsed } = await scrape()
    // No raw path, no user data: the random id and the username appear nowhere.
    assert.ok(!text.includes(secret), 'the raw path of a 404 is not a label')
    assert.ok(!text.includes('alice'), 'no username in the exposition')

    assert.equal(parsed.types.get('portcullis_http_request_duration_seconds'), 'histogram')
    const requests = (route: string, method: string, status_class: string) =>
      sampleValue(parsed, http, { route, method, status_class })
    assert.equal(requests('/register', 'POST', '2xx'), 1)
    assert.equal(requests('/token', 'POST', '2xx'), 2)
    // Two wrong passwords, the reused refresh token, the throttled attempt.
    assert.equal(requests('/token', 'POST', '4xx'), 4)
    assert.equal(requests('/users/me', 'GET', '2xx'), 2)
    assert.equal(requests('unmatched', 'GET', '4xx'), 1)
    assert.deepEqual(
      labelSets(parsed, http)
        .map((l) => `${l.method} ${l.route} ${l.status_class}`)
        .sort(),
      [
        'GET /users/me 2xx',
        'GET unmatched 4xx',
        'POST /register 2xx',
        'POST /token 2xx',
        'POST /token 4xx',
      ],
    )
    const buckets = parsed.samples.filter(
      (s) => s.name === 'portcullis_http_request_duration_seconds_bucket',
    )
    assert.ok(
      buckets.every((s) => ['route', 'method', 'status_class', 'le'].every((k) => k in s.labels)),
    )

    assert.equal(parsed.types.get('portcullis_logins_total'), 'counter')
    const logins = (outcome: string) => sampleValue(parsed, 'portcullis_logins_total', { outcome })
    assert.equal(logins('success'), 1)
    assert.equal(logins('failure'), 2)
    assert.equal(logins('throttled'), 1)
    assert.equal(logins('mfa_required'), 0)

    assert.equal(parsed.types.get('portcullis_tokens_issued_total'), 'counter')
    const issued = (grant_type: string) =>
      sampleValue(parsed, 'portcullis_tokens_issued_total', { grant_type })
    assert.equal(issued('password'), 1)
    assert.equal(issued('refresh_token'), 1)
    assert.equal(issued('authorization_code'), 0)
    assert.equal(issued('client_credentials'), 0)
    assert.equal(issued('mfa'), 0)
    assert.equal(sampleValue(parsed, 'portcullis_refresh_rotations_total'), 1)
    assert.equal(sampleValue(parsed, 'portcullis_refresh_reuse_detections_total'), 1)
    assert.equal(parsed.types.get('portcullis_refresh_reuse_detections_total'), 'counter')

    // One hash (register), three verifications (the good and the two wrong passwords); the
    // throttled attempt hashed nothing.
    assert.equal(parsed.types.get('portcullis_password_hash_wait_seconds'), 'histogram')
    assert.equal(sampleValue(parsed, hashWaits) - hashesBefore, 4)
    assert.equal(sampleValue(parsed, 'portcullis_password_hash_rejected_total'), 0)
    assert.equal(parsed.types.get('portcullis_password_hash_queue_depth'), 'gauge')
    assert.equal(sampleValue(parsed, 'portcullis_password_hash_queue_depth'), 0)
    assert.equal(sampleValue(parsed, 'portcullis_password_hash_running'), 0)
    assert.equal(sampleValue(parsed, 'portcullis_password_hash_queue_limit'), 64)
    assert.equal(sampleValue(parsed, 'portcullis_load_shed_total'), 0)

    const queries = (method: string) =>
      sampleValue(parsed, 'portcullis_store_query_duration_seconds_count', { method })
    assert.equal(parsed.types.get('portcullis_store_query_duration_seconds'), 'histogram')
    // One rotation; the reuse found the token spent and revoked the session instead.
    assert.equal(queries('sessions.rotate'), 1)
    assert.equal(queries('sessions.revoke'), 1)
    assert.equal(queries('outbox.enqueue'), 1)
    for (const { method } of labelSets(parsed, 'portcullis_store_query_duration_seconds_count')) {
      const [part, name] = (method ?? '').split('.')
      assert.ok(storeParts.includes(part ?? ''), `${method} is a Store method`)
      assert.equal(
        typeof (services.store as unknown as Record<string, Record<string, unknown>>)[part ?? '']?.[
          name ?? ''
        ],
        'function',
      )
    }

    assert.equal(parsed.types.get('portcullis_store_pool_connections'), 'gauge')
    const pool = (state: string) =>
      sampleValue(parsed, 'portcullis_store_pool_connections', { state })
    if (services.store.engine === 'sqlite') {
      assert.deepEqual([pool('total'), pool('idle'), pool('waiting')], [0, 0, 0])
    } else {
      // The pool keeps the clients the sequence opened; none is waiting between requests.
      assert.ok(pool('total') >= 1, `total ${pool('total')}`)
      assert.equal(pool('idle'), pool('total'))
      assert.equal(pool('waiting'), 0)
    }
    assert.equal(sampleValue(parsed, 'portcullis_outbox_backlog'), 1)
    const created = Date.parse(services.keyring.signingKey().createdAt)
    assert.equal(
      sampleValue(parsed, 'portcullis_signing_key_age_seconds'),
      (clock.now() - created) / 1000,
    )
    assert.equal(sampleValue(parsed, 'portcullis_jwks_keys'), 1)
    clock.advance(3_600_000)
    const later = (await scrape()).parsed
    assert.equal(
      sampleValue(later, 'portcullis_signing_key_age_seconds'),
      (clock.now() - created) / 1000,
    )
  })

  it('a full hash queue counts its 503 refusals', async (t) => {
    const { services } = await buildTestApp(t, {
      env: { PORTCULLIS_HASH_CONCURRENCY: '1', PORTCULLIS_HASH_QUEUE_LIMIT: '1' },
    })
    const { limiter, metrics } = services
    let release = () => {}
    const running = limiter.run(() => new Promise<void>((resolve) => (release = resolve)))
    const waiting = limiter.run(async () => {})
    await assert.rejects(
      limiter.run(async () => {}),
      (error: { code?: string }) => error.code === 'temporarily_unavailable',
    )
    const during = parseExposition((await exposition(metrics.registry)).body)
    assert.equal(sampleValue(during, 'portcullis_password_hash_queue_depth'), 1)
    assert.equal(sampleValue(during, 'portcullis_password_hash_running'), 1)
    assert.equal(sampleValue(during, 'portcullis_password_hash_queue_limit'), 1)
    assert.equal(sampleValue(during, 'portcullis_password_hash_rejected_total'), 1)
    release()
    await Promise.all([running, waiting])
    const after = parseExposition((await exposition(metrics.registry)).body)
    assert.equal(sampleValue(after, 'portcullis_password_hash_queue_depth'), 0)
    assert.equal(sampleValue(after, 'portcullis_password_hash_running'), 0)
  })
  it('observes no request duration when no metrics listener is configured', async (t) => {
    const { app, services } = await buildTestApp(t)
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 200)
    const parsed = parseExposition((await exposition(services.metrics.registry)).body)
    assert.deepEqual(labelSets(parsed, 'portcullis_http_request_duration_seconds_count'), [])
    // The other metrics are kept as before: they cost nothing per request.
    assert.equal(sampleValue(parsed, 'portcullis_password_hash_rejected_total'), 0)
  })
})
