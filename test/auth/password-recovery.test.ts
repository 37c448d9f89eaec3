/** PasswordRecovery and LoginThrottle.clearAccount as services, without HTTP. */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { accountKey } from '../../src/auth/login-throttle.js'
import { buildTestApp, PASSWORD, registerUser } from '../helpers.js'

const meta = { ip: '192.0.2.7', userAgent: 'test' }

describe('PasswordRecovery', () => {
  it('reports a failure of the detached work to the log, after forgot has resolved', async (t) => {
    const lines: string[] = []
    const logStream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk))
        callback()
      },
    })
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_LOG_LEVEL: 'info' },
      logStream,
    })
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    services.emailTokens.issue = async () => {
      throw new Error('the store refused')
    }
    await services.recovery.forgot('alice@example.com', meta)
    await services.recovery.idle()
    const logged = lines.map((l) => JSON.parse(l) as { msg?: string; level?: number })
    assert.deepEqual(
      logged.filter((l) => l.msg === 'password reset link not issued').map((l) => l.level),
      [50],
    )
  })

  it('resolves idle() at once when nothing is pending', async (t) => {
    const { services } = await buildTestApp(t)
    await services.recovery.idle()
  })
})

describe('LoginThrottle.clearAccount', () => {
  it('deletes the account counter and its pair counters with every IP, nothing else', async (t) => {
    const { services } = await buildTestApp(t, { env: { PORTCULLIS_RATE_LIMITS: 'true' } })
    const { throttle, store } = services
    const alice = accountKey({ id: 'alice-id' }, 'alice')
    const bob = accountKey({ id: 'bob-id' }, 'bob')
    for (const [account, ip] of [
      [alice, '198.51.100.1'],
      [alice, '2001:db8::1'],
      [bob, '198.51.100.1'],
    ] as const) {
      await (await throttle.reserve(account, ip, undefined)).failed()
    }
    await throttle.clearAccount('alice-id')
    for (const key of [
      `account:${alice}`,
      `pair:${alice}:198.51.100.1`,
      `pair:${alice}:2001:db8::1`,
    ]) {
      assert.equal(await store.counters.get(key), null, key)
    }
    for (const key of [`account:${bob}`, `pair:${bob}:198.51.100.1`, 'ip:198.51.100.1']) {
      assert.ok(await store.counters.get(key), key)
    }
  })
})
