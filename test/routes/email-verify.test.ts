import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  buildTestApp,
  getMe,
  login,
  PASSWORD,
  postToken,
  registerUser,
  type TestApp,
} from '../helpers.js'
import { latestToken, messagesTo, outboxMessages } from '../support/outbox.js'

const ADDRESS = 'Alice@Example.com'
const invalidToken = {
  error: 'invalid_token',
  error_description: 'the link is invalid or has expired; ask for a new one',
}

const verify = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/email/verify',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(payload),
  })

const resend = (app: FastifyInstance, token?: string) =>
  app.inject({
    method: 'POST',
    url: '/email/verify/resend',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })

/** Alice, registered with an address, and the token of the verification link she was sent. */
async function alice(testApp: TestApp) {
  const user = await registerUser(testApp.app, 'alice', PASSWORD, { email: ADDRESS })
  const token = await latestToken(testApp.services.store, ADDRESS, 'verify_email')
  return { user, token }
}

async function verified(testApp: TestApp, username = 'alice') {
  const access = await login(testApp.app, username)
  return (await getMe(testApp.app, `Bearer ${access}`)).json().email_verified as boolean
}

function assertInvalid(res: Awaited<ReturnType<typeof verify>>) {
  assert.equal(res.statusCode, 400, res.body)
  assert.deepEqual(res.json(), invalidToken)
  assert.equal(res.headers['cache-control'], 'no-store')
}

/** The one answer of a resend, whether or not a link went out. */
const RESENT = {
  message: 'unless the address is already verified, a new verification link is on its way',
}

describe('POST /register with an email', () => {
  it('sends one verification message to the address, the token only in the link fragment', async (t) => {
    const testApp = await buildTestApp(t)
    const res = await testApp.app.inject({
      method: 'POST',
      url: '/register',
      payload: { username: 'alice', password: PASSWORD, email: ADDRESS },
    })
    assert.equal(res.statusCode, 201)
    assert.equal(res.json().email_verified, false)
    const messages = await outboxMessages(testApp.services.store)
    assert.deepEqual(
      messages.map((m) => [m.kind, m.recipient]),
      [['verify_email', ADDRESS]],
    )
    const [message] = messages
    assert.match(
      message?.textBody ?? '',
      /http:\/\/portcullis\.test\/verify-email#token=[\w-]{43}\n/,
    )
    assert.doesNotMatch(message?.textBody ?? '', /\?token=/)
    const sent = await testApp.services.audit.list({ type: 'email.verification_sent', limit: 5 })
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.userId, res.json().id)
    const token = await latestToken(testApp.services.store, ADDRESS, 'verify_email')
    const everything = JSON.stringify(await testApp.services.audit.list({ limit: 100 }))
    assert.ok(!everything.includes(token), 'the audit log never holds a token')
  })

  it('sends nothing without an email', async (t) => {
    const testApp = await buildTestApp(t)
    await registerUser(testApp.app, 'bob')
    assert.deepEqual(await outboxMessages(testApp.services.store), [])
  })

  it('sends nothing, and has no email endpoints, with the email flows off', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_EMAIL_FLOWS: 'false' } })
    await registerUser(testApp.app, 'alice', PASSWORD, { email: ADDRESS })
    assert.deepEqual(await outboxMessages(testApp.services.store), [])
    const access = await login(testApp.app, 'alice')
    assert.equal((await verify(testApp.app, { token: 'x' })).statusCode, 404)
    assert.equal((await resend(testApp.app, access)).statusCode, 404)
    const change = await testApp.app.inject({
      method: 'PUT',
      url: '/users/me/email',
      headers: { authorization: `Bearer ${access}` },
      payload: { new_email: 'a@example.org', password: PASSWORD },
    })
    assert.equal(change.statusCode, 404)
  })
})

describe('POST /email/verify', () => {
  it('answers 204 with no body and marks the address verified, audited without the token', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, token } = await alice(testApp)
    assert.equal(await verified(testApp), false)
    const res = await verify(testApp.app, { token }, { 'user-agent': 'mail-client' })
    assert.equal(res.statusCode, 204, res.body)
    assert.equal(res.body, '')
    assert.equal(await verified(testApp), true)
    const [event] = await testApp.services.audit.list({ type: 'email.verified', limit: 5 })
    assert.equal(event?.userId, user.id)
    assert.equal(event?.userAgent, 'mail-client')
    assert.equal(event?.ip, '127.0.0.1')
    assert.ok(!JSON.stringify(event).includes(token))
  })

  it('works once: the same link again is 400 invalid_token', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await alice(testApp)
    assert.equal((await verify(testApp.app, { token })).statusCode, 204)
    assertInvalid(await verify(testApp.app, { token }))
  })

  it('works until the token lifetime (24 hours) ends, and not from then on', async (t) => {
    const early = await buildTestApp(t)
    const first = await alice(early)
    early.clock.advance(86_400_000 - 1)
    assert.equal((await verify(early.app, { token: first.token })).statusCode, 204)

    const late = await buildTestApp(t)
    const second = await alice(late)
    late.clock.advance(86_400_000)
    assertInvalid(await verify(late.app, { token: second.token }))
    assert.equal(await verified(late), false)
  })

  it('follows PORTCULLIS_VERIFY_TOKEN_TTL', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_VERIFY_TOKEN_TTL: '3600' } })
    const { token } = await alice(testApp)
    testApp.clock.advance(3_600_000)
    assertInvalid(await verify(testApp.app, { token }))
  })

  it('answers an unknown token like a used one', async (t) => {
    const testApp = await buildTestApp(t)
    await alice(testApp)
    assertInvalid(await verify(testApp.app, { token: 'A'.repeat(43) }))
    assertInvalid(await verify(testApp.app, { token: 'not a token at all' }))
  })

  it('refuses a password-reset token (another type), which stays usable for its own purpose', async (t) => {
    const testApp = await buildTestApp(t)
    const { user } = await alice(testApp)
    const record = await testApp.services.store.users.findById(user.id)
    assert.ok(record)
    await testApp.services.emailTokens.issue('reset_password', record, ADDRESS, 'alice@example.com')
    const reset = await latestToken(testApp.services.store, ADDRESS, 'reset_password')
    assertInvalid(await verify(testApp.app, { token: reset }))
    assert.equal(await verified(testApp), false)
    const now = new Date(testApp.clock.now()).toISOString()
    const { hashEmailToken } = await import('../../src/auth/email-token.js')
    assert.ok(
      await testApp.services.store.emailTokens.find(hashEmailToken(reset), 'reset_password', now),
    )
  })

  it('does not verify an address the user no longer has', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, token } = await alice(testApp)
    const access = await login(testApp.app, 'alice')
    const change = await testApp.app.inject({
      method: 'PUT',
      url: '/users/me/email',
      headers: { authorization: `Bearer ${access}` },
      payload: { new_email: 'alice@example.org', password: PASSWORD },
    })
    assert.equal(change.statusCode, 202)
    const confirm = await latestToken(
      testApp.services.store,
      'alice@example.org',
      'confirm_email_change',
    )
    assert.equal((await verify(testApp.app, { token: confirm })).statusCode, 204)
    assertInvalid(await verify(testApp.app, { token }))
    const record = await testApp.services.store.users.findById(user.id)
    assert.equal(record?.email, 'alice@example.org')
  })

  for (const [name, payload, description] of [
    ['a missing token', {}, /token/],
    ['an empty token', { token: '' }, /token/],
    ['an unknown field', { token: 'x', user_id: 'y' }, /user_id|additional/],
    ['a token that is not a string', { token: 42 }, /token/],
  ] as const) {
    it(`answers ${name} with 400 invalid_request`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await verify(app, payload)
      assert.equal(res.statusCode, 400, res.body)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(res.json().error_description, description)
    })
  }

  it('answers a body over 16 KiB with 413', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await verify(app, { token: 'x'.repeat(17 * 1024) })
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().error, 'payload_too_large')
  })

  it('answers a form body with 415', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({
      method: 'POST',
      url: '/email/verify',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=abc',
    })
    assert.equal(res.statusCode, 415)
    assert.equal(res.json().error, 'unsupported_media_type')
  })
})

describe('POST /email/verify/resend', () => {
  it('answers 202 {message} and sends a new link; only the newest link works', async (t) => {
    const testApp = await buildTestApp(t)
    const { token: older } = await alice(testApp)
    const access = await login(testApp.app, 'alice')
    const res = await resend(testApp.app, access)
    assert.equal(res.statusCode, 202, res.body)
    assert.deepEqual(res.json(), RESENT)
    assert.equal(res.headers['cache-control'], 'no-store')
    const messages = await messagesTo(testApp.services.store, ADDRESS, 'verify_email')
    assert.equal(messages.length, 2)
    const newer = await latestToken(testApp.services.store, ADDRESS, 'verify_email')
    assert.notEqual(newer, older)
    assertInvalid(await verify(testApp.app, { token: older }))
    assert.equal((await verify(testApp.app, { token: newer })).statusCode, 204)
  })

  it('sends nothing when the address is already verified, with the same answer', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await alice(testApp)
    assert.equal((await verify(testApp.app, { token })).statusCode, 204)
    const access = await login(testApp.app, 'alice')
    const res = await resend(testApp.app, access)
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), RESENT)
    assert.equal((await outboxMessages(testApp.services.store)).length, 1)
  })

  it('sends nothing for a user without an address', async (t) => {
    const testApp = await buildTestApp(t)
    await registerUser(testApp.app, 'bob')
    const res = await resend(testApp.app, await login(testApp.app, 'bob'))
    assert.equal(res.statusCode, 202)
    assert.deepEqual(await outboxMessages(testApp.services.store), [])
  })

  it('needs a Bearer token (401 with a challenge) with the profile scope (403)', async (t) => {
    const testApp = await buildTestApp(t)
    await alice(testApp)
    const none = await resend(testApp.app)
    assert.equal(none.statusCode, 401)
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="portcullis"')
    const narrow = await postToken(testApp.app, {
      username: 'alice',
      password: PASSWORD,
      scope: 'email',
    })
    assert.equal(narrow.statusCode, 200, narrow.body)
    const res = await resend(testApp.app, narrow.json().access_token)
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error, 'insufficient_scope')
    assert.equal((await outboxMessages(testApp.services.store)).length, 1)
  })
})
