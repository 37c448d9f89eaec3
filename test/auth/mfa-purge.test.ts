import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { purgeMfa } from '../../src/auth/housekeeping.js'
import { buildTestApp } from '../helpers.js'
import { newUser } from '../store/contract-helpers.js'
import { newChallenge, newMfaToken } from '../store/contract-mfa.js'

describe('purgeMfa (housekeeping)', () => {
  it('deletes MFA tokens and WebAuthn challenges expired or spent, keeping live ones', async (t) => {
    const { services, clock } = await buildTestApp(t)
    const { store } = services
    const user = await store.users.create(newUser())
    const at = (ms: number) => new Date(clock.now() + ms).toISOString()
    const now = at(0)
    const tokens = [
      newMfaToken(user.id, { hash: 'expired', createdAt: at(-600_000), expiresAt: at(-1000) }),
      newMfaToken(user.id, { hash: 'at-expiry', createdAt: at(-300_000), expiresAt: now }),
      newMfaToken(user.id, { hash: 'spent', expiresAt: at(60_000), usedAt: at(-1000) }),
      newMfaToken(user.id, { hash: 'live', expiresAt: at(60_000) }),
    ]
    for (const tk of tokens) await store.mfaTokens.insert(tk)
    const challenges = [
      newChallenge(null, { id: 'expired', expiresAt: at(-1000) }),
      newChallenge(user.id, { id: 'spent', expiresAt: at(60_000), usedAt: at(-1000) }),
      newChallenge(user.id, { id: 'live', expiresAt: at(60_000) }),
    ]
    for (const c of challenges) await store.webauthnChallenges.insert(c)

    // Batches of 2, so the purge has to go round more than once.
    assert.deepEqual(await purgeMfa(store, clock, 2), { mfaTokens: 3, webauthnChallenges: 2 })
    assert.equal((await store.mfaTokens.findLive('live', 'app', now))?.hash, 'live')
    assert.equal(
      (await store.webauthnChallenges.consume('live', 'register', user.id, now))?.id,
      'live',
    )
    // The consumed challenge is now spent: the next purge takes it.
    assert.deepEqual(await purgeMfa(store, clock, 2), { mfaTokens: 0, webauthnChallenges: 1 })
  })
})
