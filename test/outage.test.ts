import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PASSWORD } from './helpers.js'
import { startTestPostgres } from './support/postgres.js'
import { startServer } from './support/server-process.js'

const env = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
  PORTCULLIS_DB_TIMEOUT_MS: '1000',
}
// The documented bound: connect timeout + statement timeout + retry backoff, with slack.
const maxLatencyMs = 5000

interface Outcome {
  status: number
  ms: number
  username: string
}

async function register(url: string, username: string): Promise<Outcome> {
  const started = Date.now()
  const res = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
    signal: AbortSignal.timeout(20_000),
  })
  await res.arrayBuffer()
  return { status: res.status, ms: Date.now() - started, username }
}

describe('a PostgreSQL outage', () => {
  it('gets 503s (never 500s or hangs), loses no acknowledged registration, and heals', async (t) => {
    const pg = await startTestPostgres({ durable: true })
    t.after(() => pg.destroy())
    const [a, b] = await Promise.all([
      startServer({ ...env, PORTCULLIS_DATABASE_URL: pg.url }),
      startServer({ ...env, PORTCULLIS_DATABASE_URL: pg.url }),
    ])
    t.after(() => Promise.all([a.stop(), b.stop()]))
    const tokenRes = await register(a.url, 'keeper').then(() =>
      fetch(`${b.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'keeper', password: PASSWORD }),
      }),
    )
    const { access_token } = (await tokenRes.json()) as { access_token: string }

    // Registrations flow through both instances while the database stops underneath them.
    const outcomes: Outcome[] = []
    let stopped = false
    let n = 0
    const writers = [a.url, b.url, a.url, b.url].map(async (url) => {
      while (!stopped || outcomes.filter((o) => o.status === 503).length < 8) {
        outcomes.push(await register(url, `user${n++}`))
        if (outcomes.length > 2000) break
      }
    })
    while (outcomes.filter((o) => o.status === 201).length < 20)
      await new Promise((r) => setTimeout(r, 5))
    await pg.stop()
    stopped = true
    await Promise.all(writers)

    const statuses = new Set(outcomes.map((o) => o.status))
    assert.ok(
      [...statuses].every((s) => s === 201 || s === 503),
      `statuses: ${[...statuses]}`,
    )
    assert.ok(outcomes.some((o) => o.status === 503))
    assert.ok(Math.max(...outcomes.map((o) => o.ms)) < maxLatencyMs, 'no request hung')

    for (const server of [a, b]) {
      const ready = await fetch(`${server.url}/readyz`)
      assert.equal(ready.status, 503)
      assert.ok(ready.headers.get('retry-after'))
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
      const meDown = await fetch(`${server.url}/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      assert.equal(meDown.status, 503)
    }

    await pg.start()
    for (const server of [a, b]) {
      const deadline = Date.now() + 20_000
      while ((await fetch(`${server.url}/readyz`)).status !== 200) {
        assert.ok(Date.now() < deadline, 'the instance did not recover by itself')
        await new Promise((r) => setTimeout(r, 100))
      }
    }

    // Every registration that was acknowledged before the outage is still there.
    const acknowledged = outcomes.filter((o) => o.status === 201)
    for (const [i, o] of acknowledged.entries()) {
      const res = await fetch(`${i % 2 ? a.url : b.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: o.username, password: PASSWORD }),
      })
      assert.equal(res.status, 200, `${o.username} was acknowledged but is gone`)
    }
    for (const server of [a, b]) {
      const me = await fetch(`${server.url}/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      assert.equal(me.status, 200)
    }
  })
})
