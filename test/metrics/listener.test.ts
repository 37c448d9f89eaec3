import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type MetricsListener, startMetricsListener } from '../../src/metrics/listener.js'

describe('the metrics listener', () => {
  let listener: MetricsListener
  let fail = false
  before(async () => {
    listener = await startMetricsListener({ host: '127.0.0.1', port: 0 }, async () => {
      if (fail) throw new Error('registry broke')
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'up 1\n' }
    })
  })
  after(() => listener.close())

  it('answers GET /metrics with the exposition and its content type', async () => {
    assert.match(listener.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${listener.url}/metrics`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(await res.text(), 'up 1\n')
  })

  it('HEAD has the headers and no body; another method is 405; another path 404', async () => {
    const head = await fetch(`${listener.url}/metrics`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), '5')
    assert.equal(await head.text(), '')
    const post = await fetch(`${listener.url}/metrics`, { method: 'POST' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET, HEAD')
    assert.equal((await fetch(`${listener.url}/users/me`)).status, 404)
    assert.equal((await fetch(`${listener.url}/`)).status, 404)
  })

  it('a failed render is a bare 500 that names nothing', async () => {
    fail = true
    try {
      const res = await fetch(`${listener.url}/metrics`)
      assert.equal(res.status, 500)
      const body = await res.text()
      assert.equal(body, 'metrics unavailable\n')
    } finally {
      fail = false
    }
  })

  it('a port in use is an error, not a silent second listener', async () => {
    const port = Number(new URL(listener.url).port)
    await assert.rejects(
      startMetricsListener({ host: '127.0.0.1', port }, async () => ({
        contentType: 'x',
        body: '',
      })),
      /EADDRINUSE/,
    )
  })
})
