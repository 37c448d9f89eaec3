import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../src/config.js'

describe('PORTCULLIS_WORKERS and the metrics listener', () => {
  it('one worker and no metrics listener by default', () => {
    const config = loadConfig({})
    assert.deepEqual(config.workers, { count: 1 })
    assert.equal(config.metrics, null)
  })

  it('workers: a count, or auto for the CPUs this process may use', () => {
    assert.equal(loadConfig({ PORTCULLIS_WORKERS: '3' }).workers.count, 3)
    assert.equal(
      loadConfig({ PORTCULLIS_WORKERS: 'auto' }).workers.count,
      Math.min(availableParallelism(), 64),
    )
    for (const bad of ['0', '65', '-1', '1.5', 'all', '2x']) {
      assert.throws(
        () => loadConfig({ PORTCULLIS_WORKERS: bad }),
        (e: unknown) =>
          e instanceof ConfigError && /PORTCULLIS_WORKERS must be auto or/.test(e.message),
        bad,
      )
    }
  })

  it('metrics: off until the port is set, loopback unless the host says otherwise', () => {
    assert.deepEqual(loadConfig({ PORTCULLIS_METRICS_PORT: '9464' }).metrics, {
      host: '127.0.0.1',
      port: 9464,
    })
    assert.deepEqual(
      loadConfig({ PORTCULLIS_METRICS_PORT: '9464', PORTCULLIS_METRICS_HOST: '10.0.0.5' }).metrics,
      { host: '10.0.0.5', port: 9464 },
    )
    assert.equal(loadConfig({ PORTCULLIS_METRICS_HOST: '0.0.0.0' }).metrics, null)
  })

  it('metrics: refuses the API port and a port out of range', () => {
    assert.throws(
      () => loadConfig({ PORTCULLIS_PORT: '9000', PORTCULLIS_METRICS_PORT: '9000' }),
      /PORTCULLIS_METRICS_PORT must differ from PORTCULLIS_PORT \(9000\)/,
    )
    assert.throws(
      () => loadConfig({ PORTCULLIS_METRICS_PORT: '70000' }),
      /PORTCULLIS_METRICS_PORT must be an integer from 1 to 65535/,
    )
  })
})
