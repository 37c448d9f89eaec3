/**
 * POST /password/forgot must not tell whether an address belongs to anyone (ASVS 6.4.1, NIST SP
 * 800-63B-4): the same status, body and headers, the same time, and the same limits.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, PASSWORD, registerUser } from '../helpers.js'
import { forgot, messages } from './password-support.js'

const KNOWN = 'alice@example.com'
const UNKNOWN = 'nobody@example.com'
const TRIES = 61
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** Status, raw body and headers, without the headers that differ on every response anyway. */
function visible(res: LightMyRequestResponse) {
  const { date: _date, 'x-request-id': _id, ...headers } = res.headers
  return { status: res.statusCode, body: res.body, headers }
}

describe('POST /password/forgot, enumeration safety', () => {
  it('answers a known and an unknown address byte for byte alike', async (t) => {
    const { app, services } = await buildTestApp(t, { env: { PORTCULLIS_RATE_LIMITS: 'true' } })
    await registerUser(app, 'alice', PASSWORD, { email: KNOWN })
    const known = visible(await forgot(app, KNOWN, '192.0.2.1'))
    const unknown = visible(await forgot(app, UNKNOWN, '192.0.2.1'))
    assert.equal(known.status, 202)
    assert.deepEqual(known, unknown)
    // The difference is only in what happens afterwards: one message, to the known address.
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, 1)
    assert.equal((await messages(services, 'reset_password', UNKNOWN)).length, 0)
  })

  it('answers before the work only a known address needs: the 202 never waits for the link', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'alice', PASSWORD, { email: KNOWN })
    // Hold every token issue until the answer is in: an answer that waited would never come.
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const issue = services.emailTokens.issue.bind(services.emailTokens)
    services.emailTokens.issue = async (...args) => {
      await held
      return issue(...args)
    }
    const res = await forgot(app, KNOWN)
    assert.equal(res.statusCode, 202)
    // Read without waiting for the held work (`messages` waits for it): no link yet.
    const queued = await services.store.outbox.page(null, 10)
    assert.deepEqual(
      queued.map((m) => m.kind),
      ['verify_email'],
    )
    release()
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, 1)
  })

  it('takes the same time for a known and an unknown address (medians within 1.3x, round-robin)', async (t) => {
    const { app, services } = await buildTestApp(t, {
      env: {
        PORTCULLIS_RATE_LIMITS: 'true',
        PORTCULLIS_MAIL_IP_LIMIT: '1000000',
        PORTCULLIS_MAIL_ADDRESS_LIMIT: '1000',
      },
    })
    await registerUser(app, 'alice', PASSWORD, { email: KNOWN })
    const attempt = async (email: string) => {
      // Each request is measured alone, as separate requests of a prober would be: the work
      // an earlier one left running is finished first, unmeasured.
      await services.recovery.idle()
      const started = performance.now()
      const res = await forgot(app, email)
      const elapsed = performance.now() - started
      assert.equal(res.statusCode, 202)
      return elapsed
    }
    for (const email of [KNOWN, UNKNOWN]) await attempt(email)
    const times: Record<string, number[]> = { [KNOWN]: [], [UNKNOWN]: [] }
    // Round-robin, so load on the machine hits both alike; the order flips every round, so
    // the request right after a known address's detached work is as often either kind.
    for (let i = 0; i < TRIES; i++) {
      const order = i % 2 === 0 ? [KNOWN, UNKNOWN] : [UNKNOWN, KNOWN]
      for (const email of order) times[email]?.push(await attempt(email))
    }
    const known = median(times[KNOWN] ?? [])
    const unknown = median(times[UNKNOWN] ?? [])
    const ratio = known / unknown
    assert.ok(ratio < 1.3 && ratio > 1 / 1.3, `known ${known} ms vs unknown ${unknown} ms`)
    // The known address did get its links (the work happened, just not in the answer's time).
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, TRIES + 1)
  })

  it('limits a known and an unknown address alike: 429 with Retry-After after the same count', async (t) => {
    const { app, services, clock } = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_MAIL_ADDRESS_LIMIT: '3' },
    })
    await registerUser(app, 'alice', PASSWORD, { email: KNOWN })
    const refusals = []
    for (const email of [KNOWN, UNKNOWN]) {
      // Every spelling of an address counts against it; each request from another IP.
      const spellings = [email, email.toUpperCase(), email]
      for (const [i, spelling] of spellings.entries()) {
        assert.equal((await forgot(app, spelling, `198.51.100.${i}`)).statusCode, 202)
      }
      const refused = await forgot(app, email, '198.51.100.99')
      assert.equal(refused.statusCode, 429)
      refusals.push(visible(refused))
    }
    assert.deepEqual(refusals[0], refusals[1])
    assert.deepEqual(JSON.parse(refusals[0]?.body ?? ''), {
      error: 'too_many_requests',
      error_description: 'too many requests; try again later',
    })
    assert.equal(refusals[0]?.headers['retry-after'], '3600')
    // Refused requests send nothing.
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, 3)
    clock.advance(3600_000)
    assert.equal((await forgot(app, KNOWN, '198.51.100.98')).statusCode, 202)
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, 4)
  })

  it('limits one IP alike whichever addresses it asks for', async (t) => {
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_MAIL_IP_LIMIT: '4' },
    })
    await registerUser(app, 'alice', PASSWORD, { email: KNOWN })
    const ip = '203.0.113.9'
    for (const email of [KNOWN, UNKNOWN, 'x@example.com', 'y@example.com']) {
      assert.equal((await forgot(app, email, ip)).statusCode, 202)
    }
    const known = visible(await forgot(app, KNOWN, ip))
    const unknown = visible(await forgot(app, UNKNOWN, ip))
    assert.equal(known.status, 429)
    assert.deepEqual(known, unknown)
    assert.equal((await messages(services, 'reset_password', KNOWN)).length, 1)
    // Another IP is not held back.
    assert.equal((await forgot(app, KNOWN, '203.0.113.10')).statusCode, 202)
  })
})
