import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/define.js'
import { consoleTransport } from '../../src/mail/console-transport.js'
import {
  createMailTransport,
  MailDeliveryError,
  type MailTransport,
} from '../../src/mail/transport.js'
import { testConfig } from '../helpers.js'
import { startSmtp } from '../support/smtp.js'

const mail = {
  to: 'ada@example.test',
  subject: 'Reset your password',
  text: 'Open https://portcullis.test/reset-password#token=abc',
  html: '<p><a href="https://portcullis.test/reset-password#token=abc">Reset</a></p>',
}

function transport(
  t: { after: (fn: () => void) => void },
  env: Record<string, string>,
): MailTransport {
  const made = createMailTransport(testConfig(env).mail.delivery)
  t.after(() => made.close())
  return made
}

async function refusal(sending: Promise<void>): Promise<MailDeliveryError> {
  const error = await sending.then(
    () => assert.fail('the message was sent'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof MailDeliveryError, String(error))
  return error
}

describe('the SMTP transport', () => {
  it('delivers over STARTTLS with AUTH: both bodies, the configured sender, marked automatic', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'se:cr@t/pw' } })
    await transport(t, smtp.env()).send(mail)
    const [got] = await smtp.waitForMessages(1)
    assert.equal(got?.secure, true)
    assert.equal(got?.user, 'mailer')
    assert.equal(got?.from, '"Portcullis" <no-reply@portcullis.test>')
    assert.equal(got?.envelope.from, 'no-reply@portcullis.test')
    assert.deepEqual(got?.envelope.to, ['ada@example.test'])
    assert.equal(got?.subject, mail.subject)
    assert.equal(got?.text.trim(), mail.text)
    assert.equal(got?.html?.trim(), mail.html)
    assert.match(got?.rawHeaders ?? '', /^Auto-Submitted: auto-generated$/m)
  })

  it('delivers over implicit TLS (smtps://)', async (t) => {
    const smtp = await startSmtp(t, { implicitTls: true })
    assert.match(smtp.url, /^smtps:/)
    await transport(t, smtp.env()).send(mail)
    const [got] = await smtp.waitForMessages(1)
    assert.equal(got?.secure, true)
  })

  it('fails on a wrong password without repeating the URL or the password', async (t) => {
    const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 'right-password' } })
    const url = `smtp://mailer:wrong-password@127.0.0.1:${smtp.port}`
    const error = await refusal(
      transport(t, { ...smtp.env(), PORTCULLIS_SMTP_URL: url }).send(mail),
    )
    assert.equal(error.responseCode, 535)
    assert.doesNotMatch(error.message, /wrong-password|smtp:/)
  })

  it('fails, never downgrading to plaintext, when the server does not offer STARTTLS', async (t) => {
    const smtp = await startSmtp(t)
    smtp.offerStartTls = false
    await refusal(transport(t, smtp.env()).send(mail))
    assert.equal(smtp.dataStarts, 0)
  })

  it('fails when the server certificate is not trusted', async (t) => {
    const smtp = await startSmtp(t, { untrustedCertificate: true })
    const error = await refusal(transport(t, smtp.env()).send(mail))
    assert.equal(error.responseCode, null)
    assert.equal(smtp.dataStarts, 0)
  })

  it('sends plaintext to a loopback catcher with ?tls=off', async (t) => {
    const smtp = await startSmtp(t)
    smtp.offerStartTls = false
    await transport(t, { ...smtp.env(), PORTCULLIS_SMTP_URL: `${smtp.url}?tls=off` }).send(mail)
    const [got] = await smtp.waitForMessages(1)
    assert.equal(got?.secure, false)
  })

  it('reports the SMTP reply code of a refusal', async (t) => {
    const smtp = await startSmtp(t)
    const sender = transport(t, smtp.env())
    smtp.mode = 'temporary'
    assert.equal((await refusal(sender.send(mail))).responseCode, 451)
    smtp.mode = 'permanent'
    const permanent = await refusal(sender.send(mail))
    assert.equal(permanent.responseCode, 550)
    assert.match(permanent.message, /^550 /)
  })

  it('gives up a delivery that outlasts the send timeout', async (t) => {
    const smtp = await startSmtp(t)
    smtp.mode = 'hang'
    const sending = transport(t, { ...smtp.env(), PORTCULLIS_MAIL_SEND_TIMEOUT: '1' }).send(mail)
    await smtp.waitForDataStarts(1)
    assert.equal((await refusal(sending)).message, 'ETIMEDOUT')
  })
})

describe('the console transport', () => {
  it('prints headers and the text body, clearly marked as not sent', async () => {
    const out = new PassThrough()
    let printed = ''
    out.on('data', (d) => {
      printed += d
    })
    await consoleTransport('Portcullis <no-reply@portcullis.test>', out).send(mail)
    assert.match(printed, /^={72}\nMAIL NOT SENT/)
    assert.match(printed, /^To: ada@example\.test$/m)
    assert.match(printed, /^Subject: Reset your password$/m)
    assert.match(printed, /^Open https:\/\/portcullis\.test\/reset-password#token=abc$/m)
    assert.doesNotMatch(printed, /<p>/)
  })

  it('is what a configuration without SMTP gets', () => {
    const delivery = testConfig().mail.delivery
    assert.equal(delivery.smtpUrl, null)
    assert.equal(createMailTransport(delivery).constructor, Object)
  })
})

describe('PORTCULLIS_SMTP_URL', () => {
  const read = (url: string) => () =>
    testConfig({ PORTCULLIS_SMTP_URL: url, PORTCULLIS_MAIL_FROM: 'a@b.test' })

  it('allows ?tls=off only with smtp:// to a loopback host', () => {
    for (const url of [
      'smtp://127.0.0.1:1025?tls=off',
      'smtp://localhost:1025?tls=off',
      'smtp://[::1]:1025?tls=off',
    ]) {
      assert.equal(read(url)().mail.delivery.smtpUrl, url)
    }
    for (const url of [
      'smtp://user:hunter2@mail.example.com:587?tls=off',
      'smtp://user:hunter2@10.0.0.5:25?tls=off',
      'smtps://user:hunter2@127.0.0.1:465?tls=off',
      'smtp://user:hunter2@127.0.0.1:25?tls=no',
      'smtp://user:hunter2@127.0.0.1:25?tls=off&x=1',
    ]) {
      assert.throws(read(url), (e: unknown) => {
        assert.ok(e instanceof ConfigError)
        assert.doesNotMatch(e.message, /hunter2/)
        return true
      })
    }
  })

  it('refuses a user name or password that is not percent-encoded, at start, without echoing it', () => {
    for (const url of ['smtp://user:hun%zzter2@mail.example.com', 'smtp://us%4@mail.example.com']) {
      assert.throws(read(url), (e: unknown) => {
        assert.ok(e instanceof ConfigError)
        assert.match(e.message, /must be percent-encoded/)
        assert.doesNotMatch(e.message, /hun|%zz|us%4/)
        return true
      })
    }
    assert.equal(
      read('smtp://user:p%40ss@mail.example.com')().mail.delivery.smtpUrl,
      'smtp://user:p%40ss@mail.example.com',
    )
  })

  it('production refuses the email flows without SMTP', () => {
    const production = {
      NODE_ENV: 'production',
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_ISSUER: 'https://auth.example.com',
      PORTCULLIS_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    }
    assert.throws(() => testConfig(production), /PORTCULLIS_SMTP_URL must be set/)
    assert.equal(
      testConfig({ ...production, PORTCULLIS_EMAIL_FLOWS: 'false' }).mail.flows.enabled,
      false,
    )
  })
})
