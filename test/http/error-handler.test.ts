import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { StoreUnavailableError } from '../../src/store/store.js'
import { buildTestApp, getMe, login, PASSWORD, postToken, registerUser } from '../helpers.js'

/** A log destination that keeps every line. */
function captureLogs() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk))
      callback()
    },
  })
  return { lines, stream }
}

describe('error handling', () => {
  it('answers an unexpected error with a generic 500 carrying only a request id', async (t) => {
    const logs = captureLogs()
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    services.store.sessions.findWithUser = () =>
      Promise.reject(
        new Error('SQLITE_ERROR: no such column: password_hash in SELECT * FROM users'),
      )
    const res = await getMe(app, `Bearer ${token}`)
    assert.equal(res.statusCode, 500)
    const body = res.json()
    assert.deepEqual(Object.keys(body), ['error', 'error_description'])
    assert.equal(body.error, 'server_error')
    const id = /^internal error \(request id ([A-Za-z0-9_-]{8}-[0-9a-z]+)\)$/.exec(
      body.error_description,
    )?.[1]
    assert.ok(id, body.error_description)
    assert.doesNotMatch(res.body, /SQLITE|SELECT|password_hash|at .*\.ts/)
    const detail = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'unhandled error')
    assert.equal(detail.length, 1, 'the detail is logged')
    assert.match(detail[0].err.message, /no such column/)
    // The error line and the access line carry the id the client was given.
    assert.equal(detail[0].reqId, id)
    const access = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
    assert.equal(access.at(-1).reqId, id)
  })

  it('answers a database failure with 503 and Retry-After, not 500', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'alice')
    services.store.users.findByUsername = () =>
      Promise.reject(new StoreUnavailableError('database is locked'))
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().error, 'temporarily_unavailable')
    assert.equal(res.headers['retry-after'], '2')
    assert.doesNotMatch(res.body, /locked/)
  })

  it('answers every request on a closed database with 503, never 500', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'alice')
    // Never verified yet, so no verification of it is cached: /users/me must reach the store.
    const token = await login(app, 'alice')
    await services.store.close()
    const responses = [
      await getMe(app, `Bearer ${token}`),
      await postToken(app, { username: 'alice', password: PASSWORD }),
      await app.inject({
        method: 'POST',
        url: '/register',
        payload: { username: 'bob', password: PASSWORD },
      }),
    ]
    for (const res of responses) {
      assert.equal(res.statusCode, 503, res.body)
      assert.equal(res.json().error, 'temporarily_unavailable')
    }
  })
})

describe('logs', () => {
  it('write one JSON line per request with a request id, and never a password or token', async (t) => {
    const logs = captureLogs()
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'trace' },
      logStream: logs.stream,
    })
    await registerUser(app, 'alice')
    const token = await login(app, 'alice')
    await getMe(app, `Bearer ${token}`)
    await app.inject({ url: `/users/me?access_token=${token}` })
    await postToken(app, { username: 'alice', password: 'wrong-password-attempt' })
    const text = logs.lines.join('')
    for (const secret of [PASSWORD, 'wrong-password-attempt', token, token.split('.')[2] ?? '']) {
      assert.ok(!text.includes(secret), 'a secret reached the logs')
    }
    const requests = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
    assert.equal(requests.length, 5)
    for (const line of requests) {
      assert.match(line.reqId, /^[A-Za-z0-9_-]{8}-[0-9a-z]+$/)
      assert.equal(typeof line.status, 'number')
    }
    assert.equal(new Set(requests.map((l) => l.reqId)).size, requests.length, 'ids are unique')
  })

  it('log a warning when a spent refresh token comes back, without the token', async (t) => {
    const logs = captureLogs()
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream: logs.stream,
    })
    await registerUser(app, 'alice')
    const first = (await postToken(app, { username: 'alice', password: PASSWORD })).json()
    const refresh = { grant_type: 'refresh_token', refresh_token: first.refresh_token }
    assert.equal((await postToken(app, refresh)).statusCode, 200)
    assert.equal((await postToken(app, refresh)).statusCode, 400)
    const events = logs.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.event === 'refresh_token_reuse')
    assert.equal(events.length, 1)
    assert.equal(events[0].level, 40)
    assert.match(events[0].sessionId, /^[0-9a-f-]{36}$/)
    assert.ok(!logs.lines.join('').includes(first.refresh_token))
  })
})
