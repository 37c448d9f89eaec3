import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseWrkOutput } from '../../bench/wrk-output.js'
import { luaString, RESULT_MARKER, wrkScript } from '../../bench/wrk-script.js'

// wrk's own summary around the line the bench's done() prints, as wrk 4.1 writes it.
const output = (json: string) =>
  [
    'Running 5s test @ http://127.0.0.1:40451',
    '  1 threads and 10 connections',
    '  Thread Stats   Avg      Stdev     Max   +/- Stdev',
    '    Latency     6.37ms    6.42ms  50.83ms   87.65%',
    '  1554 requests in 2.01s, 1.21MB read',
    '  Non-2xx or 3xx responses: 7',
    'Requests/sec:    774.32',
    `${RESULT_MARKER}${json}`,
    '',
  ].join('\n')

const line = (over: { non2xx?: number; status?: number; pool?: string[] } = {}) =>
  JSON.stringify({
    requests: 20000,
    durationUs: 4_000_000,
    bytes: 1,
    errors: { connect: 1, read: 2, write: 3, status: over.status ?? 7, timeout: 4 },
    latencyUs: { p50: 450, p90: 900, p99: 2500, max: 9000, mean: 500.5 },
    non2xx: over.non2xx ?? -1,
    starved: 0,
    pool: over.pool ?? [],
  })

describe('parseWrkOutput', () => {
  it('reads rate, latencies in ms, socket errors and timeouts from the result line', () => {
    const r = parseWrkOutput(output(line()))
    assert.equal(r.requests, 20000)
    assert.equal(r.durationSeconds, 4)
    assert.equal(r.requestsPerSecond, 5000)
    assert.equal(r.p50Ms, 0.45)
    assert.equal(r.p90Ms, 0.9)
    assert.equal(r.p99Ms, 2.5)
    assert.equal(r.maxMs, 9)
    assert.equal(r.errors, 6)
    assert.equal(r.timeouts, 4)
  })

  it("takes non-2xx from wrk's status count when the script did not count answers", () => {
    assert.equal(parseWrkOutput(output(line({ non2xx: -1, status: 7 }))).non2xx, 7)
  })

  it('takes the exact count when the script counted every answer, and the pool left', () => {
    const r = parseWrkOutput(output(line({ non2xx: 3, status: 1, pool: ['a.b', 'c-d'] })))
    assert.equal(r.non2xx, 3)
    assert.deepEqual(r.pool, ['a.b', 'c-d'])
  })

  it('refuses output without the result line (wrk failed or the script broke)', () => {
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), {
      message: /no result line/,
    })
  })

  it('refuses a result line with a zero duration', () => {
    const zero = line().replace('"durationUs":4000000', '"durationUs":0')
    assert.throws(() => parseWrkOutput(output(zero)), { message: /incomplete/ })
  })
})

describe('the wrk script', () => {
  it('writes any text as a Lua literal of printable ASCII', () => {
    assert.equal(luaString('a"b\\c\né'), '"a\\034b\\092c\\010\\195\\169"')
  })

  it('refuses refresh tokens a form body would have to escape', () => {
    assert.throws(
      () =>
        wrkScript(
          { kind: 'refresh', path: '/token', headers: {}, refreshTokens: ['ok', 'a&b=c'] },
          1,
        ),
      { message: /escape/ },
    )
  })

  it('refuses an empty rotation', () => {
    assert.throws(() => wrkScript({ kind: 'rotate', requests: [] }, 1), {
      message: /at least one/,
    })
  })
})
