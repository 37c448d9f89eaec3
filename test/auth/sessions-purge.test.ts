import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, registerUser, type TestApp } from '../helpers.js'

const MINUTE = 60_000
// One-hour idle expiry, two-hour absolute expiry: short enough to walk past with the clock.
const env = { PORTCULLIS_SESSION_IDLE_TTL: '3600', PORTCULLIS_SESSION_MAX_TTL: '7200' }
const meta = { ip: '192.0.2.1', userAgent: 'purge-test' }

/** Starts a session for `userId` through the service; returns its id and refresh token. */
async function start({ services }: TestApp, userId: string) {
  const { session, refreshToken } = await services.sessions.start(
    userId,
    services.config.clients.builtinId,
    'profile',
    meta,
  )
  return { id: session.id, refreshToken }
}

async function counts({ services }: TestApp) {
  const all = await services.store.counts()
  return { sessions: all.sessions, refresh_tokens: all.refresh_tokens, users: all.users }
}

describe('SessionService.purge', () => {
  it('removes revoked sessions with their refresh tokens and keeps live ones', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { services } = testApp
    const user = await registerUser(testApp.app, 'alice')
    const live = await start(testApp, user.id)
    const revoked = await start(testApp, user.id)
    const rotatedThenRevoked = await start(testApp, user.id)
    await services.sessions.refresh(rotatedThenRevoked.refreshToken, 'portcullis', undefined)
    assert.equal(await services.sessions.revoke(revoked.id), true)
    assert.equal(await services.sessions.revoke(rotatedThenRevoked.id), true)
    assert.deepEqual(await counts(testApp), { sessions: 3, refresh_tokens: 4, users: 1 })

    assert.equal(await services.sessions.purge(), 2)

    assert.deepEqual(await counts(testApp), { sessions: 1, refresh_tokens: 1, users: 1 })
    assert.equal(await services.sessions.findById(revoked.id), null)
    assert.equal(await services.sessions.findById(rotatedThenRevoked.id), null)
    assert.ok(await services.sessions.findById(live.id))
    // The live session still works after the purge.
    const rotation = await services.sessions.refresh(live.refreshToken, 'portcullis', undefined)
    assert.equal(rotation.session.id, live.id)
  })

  it('removes sessions past their idle expiry and keeps recently used ones', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { services, clock } = testApp
    const user = await registerUser(testApp.app, 'alice')
    const idle = await start(testApp, user.id)
    const used = await start(testApp, user.id)
    clock.advance(30 * MINUTE)
    const late = await start(testApp, user.id)
    await services.sessions.refresh(used.refreshToken, 'portcullis', undefined)
    clock.advance(31 * MINUTE) // idle: 61 min unused; used: 31 min; late: 31 min

    assert.equal(await services.sessions.purge(), 1)

    assert.equal(await services.sessions.findById(idle.id), null)
    assert.ok(await services.sessions.findById(used.id))
    assert.ok(await services.sessions.findById(late.id))
    // used: its spent token and its successor remain (reuse detection needs the spent one).
    assert.deepEqual(await counts(testApp), { sessions: 2, refresh_tokens: 3, users: 1 })
  })

  it('removes sessions past their absolute expiry even when they were used recently', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { services, clock } = testApp
    const user = await registerUser(testApp.app, 'alice')
    const old = await start(testApp, user.id)
    let token = old.refreshToken
    for (let i = 0; i < 3; i++) {
      clock.advance(35 * MINUTE)
      token = (await services.sessions.refresh(token, 'portcullis', undefined)).refreshToken
    }
    // 105 minutes after its start, 0 after its last refresh; a young session beside it.
    const young = await start(testApp, user.id)
    clock.advance(14 * MINUTE)
    assert.equal(await services.sessions.purge(), 0, 'nothing is dead at 119 minutes')
    clock.advance(2 * MINUTE) // 121 minutes: past the absolute expiry, 16 min after last use

    assert.equal(await services.sessions.purge(), 1)

    assert.equal(await services.sessions.findById(old.id), null)
    assert.ok(await services.sessions.findById(young.id))
    assert.deepEqual(await counts(testApp), { sessions: 1, refresh_tokens: 1, users: 1 })
  })

  it('removes nothing while every session is live', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { services, clock } = testApp
    const user = await registerUser(testApp.app, 'alice')
    await start(testApp, user.id)
    await start(testApp, user.id)
    clock.advance(59 * MINUTE)
    assert.equal(await services.sessions.purge(), 0)
    assert.deepEqual(await counts(testApp), { sessions: 2, refresh_tokens: 2, users: 1 })
  })

  it('works through more dead sessions than one batch holds', async (t) => {
    const testApp = await buildTestApp(t, { env })
    const { services } = testApp
    const alice = await registerUser(testApp.app, 'alice')
    const bob = await registerUser(testApp.app, 'bob')
    for (let i = 0; i < 7; i++) await start(testApp, alice.id)
    const kept = await start(testApp, bob.id)
    assert.equal(await services.sessions.revokeAll(alice.id), 7)

    assert.equal(await services.sessions.purge(2), 7)

    assert.deepEqual(await counts(testApp), { sessions: 1, refresh_tokens: 1, users: 2 })
    assert.ok(await services.sessions.findById(kept.id))
    assert.deepEqual(
      (await services.sessions.listLive(bob.id)).map((s) => s.id),
      [kept.id],
    )
  })
})
