import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { assertErrorResponse, parseRawResponse, rawExchange } from '../support/raw-http.js'
import { type RunningServer, startServer } from '../support/server-process.js'

const env = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
  PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
  PORTCULLIS_HEADERS_TIMEOUT_MS: '1000',
  PORTCULLIS_REQUEST_TIMEOUT_MS: '2000',
}

interface Drip {
  /** Resolves when the server ends the connection: what it answered, and after how long. */
  closed: Promise<{ response: string; ms: number }>
}

/** Opens a connection, writes `head`, then drips one byte of `drip` every 100 ms, forever. */
function slowClient(url: string, head: string, drip: string): Drip {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  const socket = connect(Number(port), hostname)
  let response = ''
  let timer: NodeJS.Timeout | undefined
  socket.on('connect', () => {
    socket.write(head)
    let i = 0
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip[i++ % drip.length] ?? 'a')
    }, 100)
  })
  socket.on('data', (d) => {
    response += d
  })
  // Bounded: a server that never cuts the client fails the test instead of hanging it.
  socket.setTimeout(8000, () => socket.destroy())
  const closed = new Promise<{ response: string; ms: number }>((resolve) => {
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ response, ms: Date.now() - started })
    })
  })
  return { closed }
}

/** Normal requests on fresh connections every 100 ms until `until` settles; their statuses. */
async function normalTraffic(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false
  void until.then(() => {
    done = true
  })
  const statuses: number[] = []
  while (!done) {
    const res = await fetch(`${url}/healthz`, { headers: { connection: 'close' } })
    statuses.push(res.status)
    await res.arrayBuffer()
    await sleep(100)
  }
  return statuses
}

async function server(t: TestContext) {
  const running = await startServer(env)
  t.after(() => running.stop())
  return running
}

describe('server timeouts', () => {
  it('cuts off slowloris clients (headers dripped byte by byte) while others are served', async (t) => {
    const { url } = await server(t)
    const clients = Array.from({ length: 20 }, () =>
      slowClient(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'abcdefgh'),
    )
    const all = Promise.all(clients.map((c) => c.closed))
    const statuses = await normalTraffic(url, all)
    for (const { response, ms } of await all) {
      assert.ok(ms < 4000, `cut after ${ms} ms`)
      assertErrorResponse(parseRawResponse(response), 408, 'request_timeout')
    }
    assert.ok(statuses.length >= 5, `${statuses.length} normal requests`)
    assert.deepEqual(new Set(statuses), new Set([200]))
  })

  it('cuts off a client dripping its body with 408 while others are served', async (t) => {
    const { url } = await server(t)
    const client = slowClient(
      url,
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
      'username=a&',
    )
    const statuses = await normalTraffic(url, client.closed)
    const { response, ms } = await client.closed
    assert.ok(ms < 5000, `cut after ${ms} ms`)
    assertErrorResponse(parseRawResponse(response), 408, 'request_timeout')
    assert.ok(statuses.length >= 5, `${statuses.length} normal requests`)
    assert.deepEqual(new Set(statuses), new Set([200]))
  })
})

describe('clients that stall', () => {
  let stalled: RunningServer
  before(async () => {
    stalled = await startServer(env)
  })
  after(() => stalled.stop())

  it('answers a client that stops in the middle of its headers with 408 in the error shape', async () => {
    const response = await rawExchange(
      stalled.url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ab',
    )
    assertErrorResponse(response, 408, 'request_timeout')
    assert.ok(response.ms < 4000, `cut after ${response.ms} ms`)
  })

  it('answers a client that stops in the middle of its body with 408, not a silent close', async () => {
    // Three at once: the request deadline (2 s, checked every second) must beat the cut for
    // silence every time, not by luck of the timers.
    const responses = await Promise.all(
      Array.from({ length: 3 }, () =>
        rawExchange(
          stalled.url,
          'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a',
        ),
      ),
    )
    for (const response of responses) {
      assertErrorResponse(response, 408, 'request_timeout')
      assert.ok(response.ms < 4000, `cut after ${response.ms} ms`)
    }
  })
})
