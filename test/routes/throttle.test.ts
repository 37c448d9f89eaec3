import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, PASSWORD, postToken, registerUser } from '../helpers.js'

const limits = {
  PORTCULLIS_RATE_LIMITS: 'true',
  PORTCULLIS_LOGIN_DELAY_AFTER: '5',
  PORTCULLIS_LOGIN_SLOW_AFTER: '20',
  PORTCULLIS_LOGIN_IP_FAILURES: '50',
}
const WRONG = 'definitely not the password'

function from(ip: string) {
  return { remoteAddress: ip }
}

describe('login throttling', () => {
  it('delays an account after 5 failures from one IP, refusing even the right password, alike for unknown users', async (t) => {
    const { app, clock } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    for (const username of ['alice', 'nobody-here']) {
      for (let i = 0; i < 5; i++) {
        const res = await postToken(app, { username, password: WRONG }, {}, from('203.0.113.7'))
        assert.equal(res.statusCode, 400, `attempt ${i + 1}`)
      }
      const delayed = await postToken(
        app,
        { username, password: username === 'alice' ? PASSWORD : WRONG },
        {},
        from('203.0.113.7'),
      )
      assert.equal(delayed.statusCode, 429)
      assert.deepEqual(delayed.json(), {
        error: 'too_many_requests',
        error_description: 'too many failed logins; try again later',
      })
      assert.equal(delayed.headers['retry-after'], '60')
    }
    clock.advance(60_000)
    assert.equal(
      (await postToken(app, { username: 'alice', password: PASSWORD }, {}, from('203.0.113.7')))
        .statusCode,
      200,
    )
  })

  it('lets the owner in from another IP while an attacker hammers the account', async (t) => {
    const { app } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    for (let i = 0; i < 12; i++)
      await postToken(app, { username: 'alice', password: WRONG }, {}, from('198.51.100.9'))
    assert.equal(
      (await postToken(app, { username: 'alice', password: WRONG }, {}, from('198.51.100.9')))
        .statusCode,
      429,
    )
    const owner = await postToken(
      app,
      { username: 'alice', password: PASSWORD },
      {},
      from('192.0.2.44'),
    )
    assert.equal(owner.statusCode, 200)
  })

  it('slows the account for unknown devices after many failures across IPs, but not for a known device', async (t) => {
    const { app } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    const first = await postToken(
      app,
      { username: 'alice', password: PASSWORD },
      {},
      from('192.0.2.44'),
    )
    const device = first.json().device_token as string
    assert.match(device, /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/)
    for (let i = 0; i < 20; i++) {
      await postToken(app, { username: 'alice', password: WRONG }, {}, from(`198.51.100.${i + 1}`))
    }
    const stranger = await postToken(
      app,
      { username: 'alice', password: PASSWORD },
      {},
      from('192.0.2.200'),
    )
    assert.equal(stranger.statusCode, 429, 'an unknown device waits')
    const known = await postToken(
      app,
      { username: 'alice', password: PASSWORD, device_token: device },
      {},
      from('192.0.2.200'),
    )
    assert.equal(known.statusCode, 200, 'the owner with a known device gets in')
  })

  it('limits failed logins per IP across accounts with 429 and Retry-After', async (t) => {
    const { app } = await buildTestApp(t, { env: { ...limits, PORTCULLIS_LOGIN_IP_FAILURES: '8' } })
    for (let i = 0; i < 8; i++) {
      assert.equal(
        (await postToken(app, { username: `user${i}`, password: WRONG }, {}, from('203.0.113.50')))
          .statusCode,
        400,
      )
    }
    const res = await postToken(
      app,
      { username: 'user99', password: WRONG },
      {},
      from('203.0.113.50'),
    )
    assert.equal(res.statusCode, 429)
    assert.ok(Number(res.headers['retry-after']) > 0)
    assert.equal(
      (await postToken(app, { username: 'user99', password: WRONG }, {}, from('203.0.113.51')))
        .statusCode,
      400,
    )
  })

  it('resets the pair counter after a successful login', async (t) => {
    const { app } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    for (let i = 0; i < 4; i++)
      await postToken(app, { username: 'alice', password: WRONG }, {}, from('203.0.113.7'))
    assert.equal(
      (await postToken(app, { username: 'alice', password: PASSWORD }, {}, from('203.0.113.7')))
        .statusCode,
      200,
    )
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await postToken(app, { username: 'alice', password: WRONG }, {}, from('203.0.113.7')))
          .statusCode,
        400,
      )
    }
  })
})

describe('rate limits on unauthenticated endpoints', () => {
  it('limit registrations per IP with 429 and Retry-After', async (t) => {
    const { app } = await buildTestApp(t, { env: { ...limits, PORTCULLIS_REGISTER_LIMIT: '3' } })
    const register = (username: string, ip: string) =>
      app.inject({
        method: 'POST',
        url: '/register',
        payload: { username, password: PASSWORD },
        ...from(ip),
      })
    for (const name of ['a-one', 'a-two', 'a-three'])
      assert.equal((await register(name, '203.0.113.1')).statusCode, 201)
    const limited = await register('a-four', '203.0.113.1')
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json().error, 'too_many_requests')
    assert.ok(limited.headers['retry-after'])
    assert.equal((await register('a-four', '203.0.113.2')).statusCode, 201)
  })

  it('limit unknown routes per IP', async (t) => {
    const { app } = await buildTestApp(t, { env: { ...limits, PORTCULLIS_REQUEST_LIMIT: '3' } })
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await app.inject({ url: `/probe${i}`, ...from('203.0.113.9') })).statusCode,
        404,
      )
    assert.equal((await app.inject({ url: '/probe9', ...from('203.0.113.9') })).statusCode, 429)
  })
})

describe('password checks behind a token', () => {
  it('throttle guesses of the current password like logins', async (t) => {
    const { app } = await buildTestApp(t, { env: limits })
    await registerUser(app, 'alice')
    const pair = (
      await postToken(app, { username: 'alice', password: PASSWORD }, {}, from('203.0.113.7'))
    ).json()
    const change = (current: string) =>
      app.inject({
        method: 'PUT',
        url: '/users/me/password',
        headers: { authorization: `Bearer ${pair.access_token}` },
        payload: { current_password: current, new_password: 'a brand new passphrase here' },
        ...from('203.0.113.7'),
      })
    for (let i = 0; i < 5; i++) assert.equal((await change(WRONG)).statusCode, 400)
    const delayed = await change(PASSWORD)
    assert.equal(delayed.statusCode, 429)
    assert.equal(delayed.json().error, 'too_many_requests')
  })
})
