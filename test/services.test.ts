import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { ManualClock } from '../src/clock.js'
import { createLoggers } from '../src/loggers.js'
import { createServices } from '../src/services.js'
import { openStore } from '../src/store/open-store.js'
import { testConfig } from './helpers.js'

describe('createServices (the composition root)', () => {
  it('builds the audit log and the sessions complete: records and reuse are logged without an app', async (t) => {
    const config = testConfig({ PORTCULLIS_LOG_LEVEL: 'info' })
    const store = await openStore(config.store.databaseUrl, config.store.pool)
    t.after(() => store.close())
    const lines: Record<string, unknown>[] = []
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)))
        done()
      },
    })
    const services = await createServices(
      config,
      store,
      new ManualClock(Date.parse('2026-06-01T12:00:00Z')),
      createLoggers(config.http.logLevel, stream),
    )
    const user = await services.users.register({ username: 'alice', password: 'x'.repeat(20) })
    const started = await services.sessions.start(user.id, 'portcullis', 'profile', {
      ip: '192.0.2.1',
      userAgent: null,
    })
    await services.sessions.refresh(started.refreshToken, 'portcullis', undefined, {
      ip: '192.0.2.1',
    })
    await assert.rejects(
      services.sessions.refresh(started.refreshToken, 'portcullis', undefined, { ip: '192.0.2.2' }),
    )
    const reuse = lines.find((l) => l.event === 'refresh_token_reuse')
    assert.equal(reuse?.msg, 'refresh token reused: session revoked')
    assert.equal(reuse?.ip, '192.0.2.2')
    const audited = lines.find((l) => l.msg === 'audit refresh.reuse')
    assert.equal((audited?.audit as { userId?: string })?.userId, user.id)
    const stored = await services.audit.list({ type: 'refresh.reuse', limit: 10 })
    assert.equal(stored.length, 1)
  })
})
