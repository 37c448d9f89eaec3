/**
 * Password recovery end to end over real sockets: the app listening on loopback, the outbox
 * drained by the MailSender to a real SMTP server (test/support/smtp.ts), the link read from the
 * message received.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { buildTestApp, PASSWORD, registerUser } from '../helpers.js'
import { startSmtp } from '../support/smtp.js'

const ALICE = 'alice@example.com'
const CHOSEN = 'a passphrase chosen from the link'

describe('password recovery through SMTP', () => {
  it('forgot → the message arrives → reset with its link’s token → login with the new password', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'smtp-password-1' } })
    const { app, services } = await buildTestApp(t, { env: smtp.env() })
    await registerUser(app, 'alice', PASSWORD, { email: ALICE })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const deliver = async () => {
      await services.recovery.idle()
      return services.mailSender.runOnce()
    }

    // The verification link of the registration goes first.
    assert.deepEqual(await deliver(), { sent: 1, retrying: 0, failed: 0 })
    await smtp.waitForMessages(1)

    // An unknown address: the same answer, and nothing reaches the SMTP server.
    assert.equal((await post('/password/forgot', { email: 'nobody@example.com' })).status, 202)
    assert.deepEqual(await deliver(), { sent: 0, retrying: 0, failed: 0 })

    assert.equal((await post('/password/forgot', { email: ALICE })).status, 202)
    assert.deepEqual(await deliver(), { sent: 1, retrying: 0, failed: 0 })
    const [, message] = await smtp.waitForMessages(2)
    assert.ok(message)
    assert.deepEqual(message.envelope.to, [ALICE])
    assert.equal(message.subject, 'Reset your Portcullis password')
    const link = /http:\/\/portcullis\.test\/reset-password#token=([A-Za-z0-9_-]{43})/
    const token = link.exec(message.text)?.[1]
    assert.ok(token, message.text)
    assert.ok(message.html?.includes(`reset-password#token=${token}`), 'the HTML carries the link')

    const reset = await post('/password/reset', { token, new_password: CHOSEN })
    assert.equal(reset.status, 204)
    const login = (password: string) =>
      fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'alice', password }).toString(),
      })
    assert.equal((await login(CHOSEN)).status, 200)
    assert.equal((await login(PASSWORD)).status, 400)

    // The notice follows, without a link that works.
    assert.deepEqual(await deliver(), { sent: 1, retrying: 0, failed: 0 })
    const [, , notice] = await smtp.waitForMessages(3)
    assert.deepEqual(notice?.envelope.to, [ALICE])
    assert.doesNotMatch(notice?.text ?? '', /token=/)
    assert.equal((await post('/password/reset', { token, new_password: CHOSEN })).status, 400)
  })
})
