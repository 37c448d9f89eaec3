import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import nodemailer from 'nodemailer'
import { startSmtp } from '../support/smtp.js'

const message = {
  from: 'Portcullis <no-reply@portcullis.test>',
  to: 'ada@example.test',
  subject: 'Hello',
  text: 'plain body',
  html: '<p>html body</p>',
}

function client(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, auth })
}

describe('the SMTP test harness', () => {
  it('receives over STARTTLS with AUTH, parsed, and answers each mode as switched', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'p@ss word' } })
    const mail = client(smtp.port, { user: 'mailer', pass: 'p@ss word' })
    t.after(() => mail.close())
    await mail.sendMail(message)
    const [got] = await smtp.waitForMessages(1)
    assert.equal(got?.subject, 'Hello')
    assert.equal(got?.text.trim(), 'plain body')
    assert.equal(got?.html?.trim(), '<p>html body</p>')
    assert.deepEqual(got?.envelope, { from: 'no-reply@portcullis.test', to: ['ada@example.test'] })
    assert.equal(got?.secure, true)
    assert.equal(got?.user, 'mailer')
    assert.match(got?.rawHeaders ?? '', /^Subject: Hello$/m)

    smtp.mode = 'temporary'
    await assert.rejects(mail.sendMail(message), { responseCode: 451 })
    smtp.mode = 'permanent'
    await assert.rejects(mail.sendMail(message), { responseCode: 550 })
    assert.equal(smtp.dataStarts, 3)
    assert.equal(smtp.messages.length, 1)
    assert.equal(new URL(smtp.url).password, encodeURIComponent('p@ss word'))
  })

  it('refuses a wrong password', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'right' } })
    const mail = client(smtp.port, { user: 'mailer', pass: 'wrong' })
    await assert.rejects(mail.sendMail(message), { responseCode: 535 })
    assert.equal(smtp.dataStarts, 0)
  })

  it('hangs on DATA when told to, and reports the DATA start', async (t) => {
    const smtp = await startSmtp(t)
    smtp.mode = 'hang'
    const mail = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtp.port,
      requireTLS: true,
      socketTimeout: 300,
    })
    const sending = mail.sendMail(message)
    await smtp.waitForDataStarts(1)
    await assert.rejects(sending, { code: 'ETIMEDOUT' })
    assert.equal(smtp.messages.length, 0)
  })

  it('can hide STARTTLS', async (t) => {
    const smtp = await startSmtp(t)
    smtp.offerStartTls = false
    await assert.rejects(client(smtp.port).sendMail(message))
    assert.equal(smtp.dataStarts, 0)
  })
})
