import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp } from '../helpers.js'

/** Blocks this process's event loop, where the in-process app also runs. */
function busy(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // a synchronous stall, as a CPU-bound handler or a GC storm would cause
  }
}

describe('load shedding', () => {
  it('answers 503 with Retry-After after the loop lags, keeps /healthz up, then recovers', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '1000' } })
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 200)
    await sleep(150)
    busy(1500)
    // Let the overdue lag timer run first, as it would before queued sockets are read.
    await sleep(1)
    const shed = await app.inject('/.well-known/jwks.json')
    assert.equal(shed.statusCode, 503)
    assert.equal(shed.headers['retry-after'], '1')
    assert.deepEqual(shed.json(), {
      error: 'temporarily_unavailable',
      error_description: 'the server is overloaded; retry shortly',
    })
    const unknown = await app.inject('/no-such-route')
    assert.equal(unknown.statusCode, 503)
    const health = await app.inject('/healthz')
    assert.equal(health.statusCode, 200)
    await sleep(400)
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 200)
  })

  for (const cors of [false, true]) {
    it(`sheds with CORS ${cors ? 'on (its own hook, after CORS)' : 'off (in the request gate)'}: the 503 carries the security headers${cors ? ' and the CORS headers' : ''}`, async (t) => {
      const origin = 'https://app.example.com'
      const { app } = await buildTestApp(t, {
        env: {
          PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '1000',
          ...(cors ? { PORTCULLIS_CORS_ORIGINS: origin } : {}),
        },
      })
      await sleep(150)
      busy(1500)
      await sleep(1)
      const shed = await app.inject({ url: '/.well-known/jwks.json', headers: { origin } })
      assert.equal(shed.statusCode, 503)
      assert.equal(shed.json().error, 'temporarily_unavailable')
      assert.equal(shed.headers['retry-after'], '1')
      assert.equal(shed.headers['x-content-type-options'], 'nosniff')
      assert.equal(shed.headers['content-security-policy'], "frame-ancestors 'none'")
      assert.equal(shed.headers['cache-control'], 'no-store')
      assert.equal(shed.headers['referrer-policy'], 'no-referrer')
      assert.equal(shed.headers['access-control-allow-origin'], cors ? origin : undefined)
    })
  }

  it('ignores lags under the threshold, and can be turned off', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0' } })
    await sleep(150)
    busy(1200)
    await sleep(1)
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 200)
    const other = await buildTestApp(t, { env: { PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '2000' } })
    await sleep(150)
    busy(500)
    await sleep(1)
    assert.equal((await other.app.inject('/.well-known/jwks.json')).statusCode, 200)
  })
})
