import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../helpers.js'
import { outboxMessage } from '../mail/outbox-fixture.js'
import { runCli } from '../support/cli.js'
import { sharedDatabaseUrl } from '../support/engines.js'
import { startSmtp } from '../support/smtp.js'

/** Whether `out` holds one of the characters the test planted, unescaped. */
const raw = (out: string) => ['\x1b', '\x85', '\u202e'].some((c) => out.includes(c))

describe('portcullis mail status', () => {
  it('counts the outbox and lists recent failures with their SMTP reply, never a body', async (t) => {
    const smtp = await startSmtp(t)
    const databaseUrl = await sharedDatabaseUrl(t)
    const { services, clock } = await buildTestApp(t, { env: smtp.env(), databaseUrl })
    const { outbox } = services.store
    const enqueue = async (n: number) => {
      const message = outboxMessage(new Date(clock.now()).toISOString(), n, `kind_${n}`)
      await outbox.enqueue(message)
      return message
    }
    const sent = await enqueue(1)
    assert.equal((await services.mailSender.runOnce()).sent, 1)
    const refused = await enqueue(2)
    smtp.mode = 'permanent'
    assert.equal((await services.mailSender.runOnce()).failed, 1)
    smtp.mode = 'temporary'
    await enqueue(3)
    assert.equal((await services.mailSender.runOnce()).retrying, 1)
    await enqueue(4)
    assert.notEqual(sent.id, refused.id)

    const env = { PORTCULLIS_DATABASE_URL: databaseUrl }
    const json = await runCli(['mail', 'status', '--json'], env)
    assert.equal(json.code, 0, json.out)
    const report = JSON.parse(json.stdout)
    assert.deepEqual(
      { ...report, recent_failures: undefined },
      { pending: 2, retrying: 1, sent: 1, failed: 1, recent_failures: undefined },
    )
    assert.equal(report.recent_failures.length, 1)
    const [failure] = report.recent_failures
    assert.deepEqual(
      { ...failure, last_error: failure.last_error.slice(0, 4) },
      {
        id: refused.id,
        kind: 'kind_2',
        recipient: 'user2@example.test',
        attempts: 1,
        failed_at: new Date(clock.now()).toISOString(),
        last_error: '550 ',
      },
    )

    const table = await runCli(['mail', 'status'], env)
    assert.equal(table.code, 0, table.out)
    const lines = table.stdout.split('\n')
    assert.match(lines[0] ?? '', /^PENDING\s+RETRYING\s+SENT\s+FAILED$/)
    assert.match(lines[1] ?? '', /^2\s+1\s+1\s+1$/)
    assert.match(
      table.stdout,
      new RegExp(`^${refused.id}\\s+kind_2\\s+user2@example\\.test\\s+1\\s+\\S+\\s+550 `, 'm'),
    )
    for (const out of [json.out, table.out]) assert.doesNotMatch(out, /secret-token|Text 2|HTML 2/)
  })

  it('escapes control characters from a recipient or an SMTP reply, and stays valid JSON', async (t) => {
    const databaseUrl = await sharedDatabaseUrl(t)
    const { services, clock } = await buildTestApp(t, { databaseUrl })
    const at = new Date(clock.now()).toISOString()
    const message = { ...outboxMessage(at, 5), recipient: 'evil\u202e@example.test' }
    await services.store.outbox.enqueue(message)
    const [claimed] = await services.store.outbox.claim(at, 'w', at.replace('Z', '1Z'), 1)
    assert.equal(claimed?.id, message.id)
    await services.store.outbox.markFailed(message.id, 'w', at, '550 \x1b[2J\x85gone', null)
    const env = { PORTCULLIS_DATABASE_URL: databaseUrl }
    const json = await runCli(['mail', 'status', '--json'], env)
    assert.equal(raw(json.stdout), false)
    const [failure] = JSON.parse(json.stdout).recent_failures
    assert.equal(failure.recipient, message.recipient)
    assert.equal(failure.last_error, '550 \x1b[2J\x85gone')
    const table = await runCli(['mail', 'status'], env)
    assert.equal(raw(table.stdout), false)
    assert.match(table.stdout, /550 \\x1b\[2J\\x85gone/)
  })
})
