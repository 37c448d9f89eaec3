import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deadCodeDays, purgeAuthorization } from '../../src/auth/housekeeping.js'
import { buildTestApp } from '../helpers.js'
import { newBrowserSession, newCode } from '../store/contract-authorization.js'
import { newUser } from '../store/contract-helpers.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('purgeAuthorization (housekeeping)', () => {
  it('deletes codes expired over a day ago, and browser sessions ended or expired', async (t) => {
    const { services, clock } = await buildTestApp(t)
    const { store } = services
    const user = await store.users.create(newUser())
    const ago = (ms: number) => new Date(clock.now() - ms).toISOString()
    assert.equal(deadCodeDays, 1)
    const code = (hash: string, expiredAgo: number, usedAt: string | null = null) =>
      newCode(user.id, { hash, expiresAt: ago(expiredAgo), usedAt })
    for (const c of [
      code('expired-25h', 25 * HOUR),
      code('spent-expired-25h', 25 * HOUR, ago(25 * HOUR)),
      code('expired-3d', 3 * DAY),
      code('spent-expired-23h', 23 * HOUR, ago(23 * HOUR)),
      code('live', -60_000),
    ])
      await store.authorizationCodes.insertRecord(c)
    const browser = (id: string, fields: Parameters<typeof newBrowserSession>[1]) =>
      newBrowserSession(user.id, {
        id,
        idleExpiresAt: ago(-HOUR),
        absoluteExpiresAt: ago(-DAY),
        ...fields,
      })
    for (const b of [
      browser('ended', { endedAt: ago(1000) }),
      browser('idle', { idleExpiresAt: ago(1000) }),
      browser('absolute', { idleExpiresAt: ago(1000), absoluteExpiresAt: ago(1000) }),
      browser('live', {}),
      browser('live-b', {}),
    ])
      await store.browserSessions.insertRecord(b)

    // Batches of 2, so the purge has to go round more than once.
    assert.deepEqual(await purgeAuthorization(store, clock, 2), { codes: 3, browserSessions: 3 })
    const hashes = (await store.authorizationCodes.page(null, 100)).map((c) => c.hash)
    assert.deepEqual(hashes, ['live', 'spent-expired-23h'])
    const ids = (await store.browserSessions.page(null, 100)).map((b) => b.id)
    assert.deepEqual(ids, ['live', 'live-b'])
    assert.deepEqual(await purgeAuthorization(store, clock, 2), { codes: 0, browserSessions: 0 })
  })
})
