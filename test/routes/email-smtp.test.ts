import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, getMe, login, PASSWORD, registerUser } from '../helpers.js'
import { linkToken } from '../support/outbox.js'
import { startSmtp } from '../support/smtp.js'

// Through a real SMTP server (smtp-server on loopback, STARTTLS, AUTH): the app enqueues, the
// sender delivers, and the test follows the link of the message as received.
describe('email verification and change over SMTP', () => {
  it('registers, receives the verification mail, follows its link, and the address is verified', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'smtp-password-1' } })
    const { app, services } = await buildTestApp(t, {
      env: { ...smtp.env(), PORTCULLIS_PRODUCT_NAME: 'Acme ID' },
    })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    assert.deepEqual(await services.mailSender.runOnce(), { sent: 1, retrying: 0, failed: 0 })
    const [mail] = await smtp.waitForMessages(1)
    assert.ok(mail)
    assert.deepEqual(mail.envelope.to, ['alice@example.com'])
    assert.equal(mail.subject, 'Confirm your email address for Acme ID')
    assert.equal(mail.secure, true)
    const token = linkToken({ textBody: mail.text })
    assert.ok(mail.html?.includes(`/verify-email#token=${token}`), 'the HTML link carries it too')
    const res = await app.inject({ method: 'POST', url: '/email/verify', payload: { token } })
    assert.equal(res.statusCode, 204, res.body)
    const me = await getMe(app, `Bearer ${await login(app, 'alice')}`)
    assert.equal(me.json().email_verified, true)
  })

  it('changes the address: a confirmation to the new one, notices to the old one, escaped in HTML', async (t) => {
    const smtp = await startSmtp(t)
    const { app, services } = await buildTestApp(t, { env: smtp.env() })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const access = await login(app, 'alice')
    const newAddress = "o'hara&co@example.org"
    const change = await app.inject({
      method: 'PUT',
      url: '/users/me/email',
      headers: { authorization: `Bearer ${access}` },
      payload: { new_email: newAddress, password: PASSWORD },
    })
    assert.equal(change.statusCode, 202, change.body)
    await services.mailSender.runOnce()
    await smtp.waitForMessages(3)
    const to = (address: string) => smtp.messages.filter((m) => m.envelope.to.includes(address))
    const [confirmation] = to(newAddress)
    const [, requested] = to('alice@example.com')
    assert.ok(confirmation && requested)
    assert.match(requested.subject, /is being changed/)
    assert.ok(requested.text.includes(newAddress))
    assert.ok(requested.html?.includes('o&#39;hara&amp;co@example.org'), requested.html ?? '')
    assert.ok(!requested.html?.includes(newAddress))
    const token = linkToken({ textBody: confirmation.text })
    const res = await app.inject({ method: 'POST', url: '/email/verify', payload: { token } })
    assert.equal(res.statusCode, 204, res.body)
    await services.mailSender.runOnce()
    await smtp.waitForMessages(4)
    const [, , changed] = to('alice@example.com')
    assert.ok(changed)
    assert.match(changed.subject, /was changed/)
    const me = (await getMe(app, `Bearer ${access}`)).json()
    assert.equal(me.email, newAddress)
    assert.equal(me.email_verified, true)
  })
})
