/**
 * A real SMTP server for tests (npm `smtp-server` on 127.0.0.1, a free port), offering STARTTLS
 * with a certificate signed by the test run's CA (test/support/test-ca.ts), which every test
 * process trusts through `NODE_EXTRA_CA_CERTS`. Every message it receives is parsed with
 * `mailparser` and kept.
 *
 * ```ts
 * const smtp = await startSmtp(t, { auth: { user: 'mailer', pass: 's3cret' } })
 * // in-process: config for the mail section
 * const env = smtp.env() // PORTCULLIS_SMTP_URL (credentials included), PORTCULLIS_MAIL_FROM
 * // a spawned server also needs the CA: startServer({ ...smtp.serverEnv(), … })
 * smtp.mode = 'temporary'         // next DATA gets 451; 'permanent' 550; 'hang' never answers
 * smtp.mode = 'accept'
 * const [message] = await smtp.waitForMessages(1)
 * message.subject; message.text; message.html; message.to; message.rawHeaders
 * ```
 *
 * Switches, read when a connection opens (`offerStartTls`) or a DATA arrives (`mode`), so a test
 * may change them between deliveries: `mode` accept / temporary (451 on DATA) / permanent (550
 * on DATA) / hang (reads the message, never answers); `offerStartTls` false hides STARTTLS.
 * `untrustedCertificate` (at start) presents a certificate from a CA nobody trusts. Waiting is
 * driven by events (no sleeps); a wait that is not met in `waitMs` rejects, so a test fails
 * instead of hanging. The server is closed after the test (`close()` for earlier).
 */
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server'
import { createTestCa, runTestCa, testCaEnv } from './test-ca.js'

/** What the server does with the next DATA. */
export type SmtpMode = 'accept' | 'temporary' | 'permanent' | 'hang'

export interface ReceivedMessage {
  /** SMTP envelope: MAIL FROM and RCPT TO addresses. */
  envelope: { from: string; to: string[] }
  /** The From and To headers as text (`Name <address>`). */
  from: string
  to: string
  subject: string
  text: string
  /** The HTML body, or null when the message had none. */
  html: string | null
  /** The message header block exactly as received. */
  rawHeaders: string
  /** Whether the message came over TLS, and the AUTH user (null without AUTH). */
  secure: boolean
  user: string | null
}

export interface SmtpOptions {
  /** AUTH required with this user and password (offered only after STARTTLS). */
  auth?: { user: string; pass: string }
  /** TLS from the first byte (`smtps://`) instead of STARTTLS. */
  implicitTls?: boolean
  /** A certificate from a CA the test processes do not trust. */
  untrustedCertificate?: boolean
  /** How long a `waitFor…` may take before it rejects (real time; default 20 s). */
  waitMs?: number
}

export interface SmtpHarness {
  port: number
  /** `smtp://[user:pass@]127.0.0.1:port` (`smtps://` with `implicitTls`). */
  url: string
  mode: SmtpMode
  offerStartTls: boolean
  /** Messages received and accepted, in order. */
  readonly messages: ReceivedMessage[]
  /** How many DATA commands arrived (accepted, refused or hung). */
  readonly dataStarts: number
  /** Configuration for the mail section: the SMTP URL and a sender. */
  env(): Record<string, string>
  /** `env()` plus what a spawned process needs to trust the server (`NODE_EXTRA_CA_CERTS`). */
  serverEnv(): Record<string, string>
  /** Resolves with the accepted messages once there are at least `n`. */
  waitForMessages(n: number): Promise<ReceivedMessage[]>
  /** Resolves once at least `n` DATA commands arrived in all. */
  waitForDataStarts(n: number): Promise<void>
  close(): Promise<void>
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode })
}

function rawHeaderBlock(source: Buffer): string {
  const text = source.toString('utf8')
  const end = text.indexOf('\r\n\r\n')
  return end === -1 ? text : text.slice(0, end)
}

/** Starts the harness on a free loopback port; it is closed when the test ends. */
export async function startSmtp(t: TestContext, options: SmtpOptions = {}): Promise<SmtpHarness> {
  const untrusted = options.untrustedCertificate ? createTestCa() : null
  const ca = untrusted ?? runTestCa()
  const waitMs = options.waitMs ?? 20_000
  const messages: ReceivedMessage[] = []
  let dataStarts = 0
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const check of [...waiters]) check()
  }
  const waitFor = (what: string, done: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`SMTP harness: ${what} not seen within ${waitMs} ms`))
      }, waitMs)
      waiters.add(check)
      check()
    })

  const harness = {
    mode: 'accept' as SmtpMode,
    offerStartTls: true,
  }

  const receive = async (stream: SMTPServerDataStream, session: SMTPServerSession) => {
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    const source = Buffer.concat(chunks)
    const parsed = await simpleParser(source)
    const address = (a: typeof parsed.to) => (Array.isArray(a) ? a : a ? [a] : [])
    return {
      envelope: {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
      },
      from: parsed.from?.text ?? '',
      to: address(parsed.to)
        .map((a) => a.text)
        .join(', '),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : null,
      rawHeaders: rawHeaderBlock(source),
      secure: session.secure,
      user: typeof session.user === 'string' ? session.user : null,
    } satisfies ReceivedMessage
  }

  const server = new SMTPServer({
    key: readFileSync(ca.keyFile),
    cert: readFileSync(ca.certFile),
    secure: options.implicitTls === true,
    name: 'localhost',
    logger: false,
    disableReverseLookup: true,
    authOptional: !options.auth,
    closeTimeout: 100,
    onConnect(session, callback) {
      const disabled: string[] = []
      if (!harness.offerStartTls || options.implicitTls) disabled.push('STARTTLS')
      if (!options.auth) disabled.push('AUTH')
      session.disabledCommands = disabled
      callback()
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user) {
        if (auth.password === options.auth.pass) return callback(null, { user: auth.username })
      }
      callback(smtpError('Invalid username or password', 535))
    },
    onData(stream, session, callback) {
      dataStarts += 1
      const mode = harness.mode
      notify()
      receive(stream, session).then(
        (message) => {
          if (mode === 'hang') return
          if (mode === 'temporary') return callback(smtpError('Try again later', 451))
          if (mode === 'permanent') return callback(smtpError('Mailbox unavailable', 550))
          messages.push(message)
          callback()
          notify()
        },
        (error: Error) => callback(error),
      )
    },
  })
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  const port = (server.server.address() as AddressInfo).port
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : ''
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => server.close(() => resolve()))
    untrusted?.destroy()
  }
  t.after(close)

  const url = `${options.implicitTls ? 'smtps' : 'smtp'}://${credentials}127.0.0.1:${port}`
  const env = () => ({
    PORTCULLIS_SMTP_URL: url,
    PORTCULLIS_MAIL_FROM: 'Portcullis <no-reply@portcullis.test>',
  })
  // A getter survives only when defined on the object itself (Object.assign would copy a value).
  Object.defineProperty(harness, 'dataStarts', { get: () => dataStarts, enumerable: true })
  return Object.assign(harness as typeof harness & { readonly dataStarts: number }, {
    port,
    url,
    messages,
    env,
    serverEnv: () => ({ ...env(), ...testCaEnv(runTestCa()) }),
    waitForMessages: (n: number) =>
      waitFor(`${n} message(s)`, () => messages.length >= n).then(() => messages.slice()),
    waitForDataStarts: (n: number) => waitFor(`${n} DATA command(s)`, () => dataStarts >= n),
    close,
  })
}
