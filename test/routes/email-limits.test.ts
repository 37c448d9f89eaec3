import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, login, PASSWORD, registerUser } from '../helpers.js'
import { outboxMessages } from '../support/outbox.js'

const limits = (ip: string, address: string) => ({
  env: {
    PORTCULLIS_RATE_LIMITS: 'true',
    PORTCULLIS_MAIL_IP_LIMIT: ip,
    PORTCULLIS_MAIL_ADDRESS_LIMIT: address,
  },
})

const change = (
  app: FastifyInstance,
  access: string,
  newEmail: string,
  remoteAddress = '198.51.100.7',
) =>
  app.inject({
    method: 'PUT',
    url: '/users/me/email',
    remoteAddress,
    headers: { authorization: `Bearer ${access}` },
    payload: { new_email: newEmail, password: PASSWORD },
  })

const resend = (app: FastifyInstance, access: string, remoteAddress = '198.51.100.7') =>
  app.inject({
    method: 'POST',
    url: '/email/verify/resend',
    remoteAddress,
    headers: { authorization: `Bearer ${access}` },
  })

/** The parts of a refusal a client can see, the date aside. */
const seen = (res: LightMyRequestResponse) => {
  const { date: _date, ...headers } = res.headers
  return { status: res.statusCode, body: res.body, headers }
}

function assertLimited(res: LightMyRequestResponse, retryAfter: string) {
  assert.equal(res.statusCode, 429, res.body)
  assert.deepEqual(res.json(), {
    error: 'too_many_requests',
    error_description: 'too many requests; try again later',
  })
  assert.equal(res.headers['retry-after'], retryAfter)
}

describe('mail limits', () => {
  it('limits email changes per address, the same for a taken and a free address', async (t) => {
    const testApp = await buildTestApp(t, limits('100', '2'))
    const { app, clock } = testApp
    await registerUser(app, 'carol', PASSWORD, { email: 'carol@example.com' })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const access = await login(app, 'alice')
    clock.advance(600_000)
    const taken = [
      await change(app, access, 'carol@example.com'),
      await change(app, access, 'CAROL@example.com'),
      await change(app, access, 'carol@example.com'),
    ]
    const free = [
      await change(app, access, 'free@example.org'),
      await change(app, access, 'Free@Example.org'),
      await change(app, access, 'free@example.org'),
    ]
    assert.deepEqual(
      taken.map((r) => r.statusCode),
      [409, 409, 429],
    )
    assert.deepEqual(
      free.map((r) => r.statusCode),
      [202, 202, 429],
    )
    // Ten minutes into the hour: the window ends in 3000 seconds, for both addresses alike.
    assertLimited(taken[2] as LightMyRequestResponse, '3000')
    assert.deepEqual(
      seen(taken[2] as LightMyRequestResponse),
      seen(free[2] as LightMyRequestResponse),
    )
    const confirmations = (await outboxMessages(testApp.services.store)).filter(
      (m) => m.kind === 'confirm_email_change',
    )
    assert.equal(confirmations.length, 2)
    // A new window: the address may be asked for again.
    clock.advance(3_000_000)
    assert.equal((await change(app, await login(app, 'alice'), 'free@example.org')).statusCode, 202)
  })

  it('limits resends per address', async (t) => {
    const testApp = await buildTestApp(t, limits('100', '3'))
    const { app } = testApp
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const access = await login(app, 'alice')
    const codes = []
    for (let i = 0; i < 4; i++)
      codes.push((await resend(app, access, `198.51.100.${i}`)).statusCode)
    // Registration sent one message; each resend counts against the address.
    assert.deepEqual(codes, [202, 202, 202, 429])
    assertLimited(await resend(app, access, '203.0.113.9'), '3600')
    assert.equal((await outboxMessages(testApp.services.store)).length, 4)
  })

  it('limits requests per IP across resends and email changes; another IP is not affected', async (t) => {
    const testApp = await buildTestApp(t, limits('3', '100'))
    const { app } = testApp
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    await registerUser(app, 'bob', PASSWORD, { email: 'bob@example.com' })
    const alice = await login(app, 'alice')
    const bob = await login(app, 'bob')
    assert.equal((await resend(app, alice)).statusCode, 202)
    assert.equal((await change(app, alice, 'one@example.org')).statusCode, 202)
    assert.equal((await change(app, bob, 'two@example.org')).statusCode, 202)
    assertLimited(await change(app, bob, 'three@example.org'), '3600')
    assertLimited(await resend(app, alice), '3600')
    assert.equal((await resend(app, bob, '203.0.113.50')).statusCode, 202)
  })

  it('counts nothing with PORTCULLIS_RATE_LIMITS=false', async (t) => {
    const testApp = await buildTestApp(t, {
      env: { PORTCULLIS_MAIL_IP_LIMIT: '1', PORTCULLIS_MAIL_ADDRESS_LIMIT: '1' },
    })
    await registerUser(testApp.app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const access = await login(testApp.app, 'alice')
    for (let i = 0; i < 3; i++) assert.equal((await resend(testApp.app, access)).statusCode, 202)
  })

  it('throttles guesses of the password through an email change like logins', async (t) => {
    const { app } = await buildTestApp(t, {
      env: {
        PORTCULLIS_RATE_LIMITS: 'true',
        PORTCULLIS_LOGIN_DELAY_AFTER: '5',
        PORTCULLIS_LOGIN_SLOW_AFTER: '20',
        PORTCULLIS_LOGIN_IP_FAILURES: '50',
      },
    })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const access = await login(app, 'alice')
    // A new address each time, so the mail limits (5 per address) are not what refuses.
    let n = 0
    const guess = (password: string) =>
      app.inject({
        method: 'PUT',
        url: '/users/me/email',
        remoteAddress: '203.0.113.7',
        headers: { authorization: `Bearer ${access}` },
        payload: { new_email: `new${n++}@example.org`, password },
      })
    for (let i = 0; i < 5; i++) {
      const res = await guess('definitely not the password')
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_grant')
    }
    const delayed = await guess(PASSWORD)
    assert.equal(delayed.statusCode, 429)
    assert.equal(delayed.json().error, 'too_many_requests')
    assert.match(String(delayed.headers['retry-after']), /^[1-9][0-9]*$/)
  })

  it('limits POST /email/verify per IP a minute (PORTCULLIS_REQUEST_LIMIT)', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_RATE_LIMITS: 'true', PORTCULLIS_REQUEST_LIMIT: '3' },
    })
    const verify = (remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/email/verify',
        remoteAddress,
        payload: { token: 'A'.repeat(43) },
      })
    for (let i = 0; i < 3; i++) assert.equal((await verify('198.51.100.1')).statusCode, 400)
    assertLimited(await verify('198.51.100.1'), '60')
    assert.equal((await verify('198.51.100.2')).statusCode, 400)
  })
})
