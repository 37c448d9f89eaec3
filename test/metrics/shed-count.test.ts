import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { exposition } from '../../src/metrics/registry.js'
import { buildTestApp } from '../helpers.js'
import { parseExposition, sampleValue } from './exposition.js'

/** Blocks this process's event loop, where the in-process app also runs. */
function busy(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // a synchronous stall, as a CPU-bound handler would cause
  }
}

describe('load-shedding metrics', () => {
  it('counts each request refused while the loop lags, and records its 503', async (t) => {
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '1000', PORTCULLIS_METRICS_PORT: '9464' },
    })
    await sleep(150)
    busy(1500)
    await sleep(1)
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 503)
    assert.equal((await app.inject('/.well-known/jwks.json')).statusCode, 503)
    const parsed = parseExposition((await exposition(services.metrics.registry)).body)
    assert.equal(sampleValue(parsed, 'portcullis_load_shed_total'), 2)
    assert.equal(
      sampleValue(parsed, 'portcullis_http_request_duration_seconds_count', {
        route: '/.well-known/jwks.json',
        method: 'GET',
        status_class: '5xx',
      }),
      2,
    )
  })
})
