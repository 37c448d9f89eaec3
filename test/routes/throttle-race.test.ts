/**
 * Login throttling under real concurrency: a burst of parallel guesses, on one instance or two
 * sharing a database, never gets more password checks than the configured limits.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, PASSWORD, postToken, registerUser, type TestApp } from '../helpers.js'
import { freshDatabaseUrl, testEngine } from '../support/engines.js'

const PAIR_LIMIT = 5
const limits = {
  PORTCULLIS_RATE_LIMITS: 'true',
  PORTCULLIS_LOGIN_DELAY_AFTER: String(PAIR_LIMIT),
  PORTCULLIS_LOGIN_SLOW_AFTER: '20',
  PORTCULLIS_LOGIN_IP_FAILURES: '1000',
  // Enough hashing room that a burst of 100 is throttled, not shed with 503.
  PORTCULLIS_HASH_QUEUE_LIMIT: '1000',
}
const WRONG = 'definitely not the password'
const BURST = 100

/** Sends `BURST` wrong guesses at once, spread over `apps`, alternating the login spellings. */
async function burst(apps: FastifyInstance[], spellings: string[], ip: string) {
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      postToken(
        apps[i % apps.length] as FastifyInstance,
        { username: spellings[i % spellings.length] as string, password: WRONG },
        {},
        { remoteAddress: ip },
      ),
    ),
  )
  const checked = answers.filter((r) => r.statusCode === 400)
  for (const r of checked) assert.equal(r.json().error, 'invalid_grant')
  const refused = answers.filter((r) => r.statusCode === 429)
  for (const r of refused) assert.equal(r.json().error, 'too_many_requests')
  assert.equal(checked.length + refused.length, BURST, 'every answer is 400 or 429')
  return checked.length
}

/** A database URL two apps can share: a SQLite file, or a fresh PostgreSQL schema. */
async function sharedDatabaseUrl(t: TestContext): Promise<string> {
  if (testEngine === 'postgres') return freshDatabaseUrl(t)
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-race-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return `sqlite:${join(dir, 'portcullis.db')}`
}

describe('login throttling under concurrency', () => {
  it('gives a burst of 100 parallel guesses at most the pair limit of password checks, round after round, both spellings counted together', async (t) => {
    const { app, clock } = await buildTestApp(t, { env: limits })
    for (let round = 0; round < 6; round++) {
      const name = `alice${round}`
      await registerUser(app, name, PASSWORD, { email: `${name}@example.com` })
      const ip = `203.0.113.${round + 1}`
      const checks = await burst([app], [name, `${name}@Example.com`], ip)
      assert.ok(checks <= PAIR_LIMIT, `round ${round}: ${checks} password checks`)
      assert.ok(checks >= 1, `round ${round}: the first guess is checked`)
      // After the delay, exactly one more guess is checked before the next, longer delay.
      clock.advance(60_000)
      assert.equal(await burst([app], [name, `${name}@example.com`], ip), 1, `round ${round}`)
      assert.equal(
        (await postToken(app, { username: name, password: PASSWORD }, {}, { remoteAddress: ip }))
          .statusCode,
        429,
        'the block grew: even the right password waits',
      )
    }
  })

  it('holds the same limit when the burst is spread over two instances on one database', async (t) => {
    const url = await sharedDatabaseUrl(t)
    const env = { ...limits, PORTCULLIS_DATABASE_URL: url }
    const first: TestApp = await buildTestApp(t, { env })
    const second: TestApp = await buildTestApp(t, { env, clock: first.clock })
    for (let round = 0; round < 4; round++) {
      const name = `bob${round}`
      await registerUser(first.app, name, PASSWORD, { email: `${name}@example.com` })
      const checks = await burst(
        [first.app, second.app],
        [name, `${name}@example.com`],
        `198.51.100.${round + 1}`,
      )
      assert.ok(checks <= PAIR_LIMIT, `round ${round}: ${checks} password checks`)
    }
  })

  it('counts an unknown login per canonical spelling and refuses it alike', async (t) => {
    const { app } = await buildTestApp(t, { env: limits })
    for (let round = 0; round < 4; round++) {
      const checks = await burst([app], [`Nobody${round}`, `nobody${round}`], '192.0.2.9')
      assert.ok(checks <= PAIR_LIMIT, `round ${round}: ${checks} password checks`)
    }
  })
})

describe('throttle housekeeping', () => {
  it("shrinks the counter table once the windows and blocks of an attack with random usernames have passed, keeping a real account's failures", async (t) => {
    const { app, services, clock } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    const guesses = Array.from({ length: 60 }, (_, i) => ({
      username: `random-${i}-${Math.random().toString(36).slice(2, 8)}`,
      ip: `203.0.113.${(i % 20) + 1}`,
    }))
    for (const { username, ip } of guesses) {
      const res = await postToken(app, { username, password: WRONG }, {}, { remoteAddress: ip })
      assert.equal(res.statusCode, 400)
    }
    // Per guess an account and a pair counter, per address one; then a blocked account.
    for (let i = 0; i < PAIR_LIMIT; i++)
      await postToken(
        app,
        { username: 'alice', password: WRONG },
        {},
        { remoteAddress: '192.0.2.1' },
      )
    const during = await services.store.counters.size()
    assert.ok(during >= 60 * 2 + 20, `${during} rows during the attack`)
    assert.equal(await services.throttle.purge(), 0, 'nothing has expired yet')
    clock.advance(25 * 3600 * 1000)
    const purged = await services.throttle.purge(7)
    assert.equal(purged, during - 1, 'every expired row, over several batches')
    // A real account's consecutive failures are cleared by a success only (NIST SP 800-63B-4).
    assert.equal(await services.store.counters.size(), 1)
    const alice = await services.store.users.findByUsername('alice')
    const kept = await services.store.counters.get(`account:user:${alice?.id}`)
    assert.equal(kept?.count, PAIR_LIMIT)
  })
})
