/**
 * BrowserSessions' second step as a service, on the real store of each engine: concurrent
 * completions of one token start one session; enrollment at sign-in is never offered to a user
 * who has a factor; "Continue" after an enrollment is a fresh login only for the session it
 * started, with a second factor, within a quarter hour.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { codeAt, enrolledUser } from '../auth/mfa-support.js'
import { buildTestApp, PASSWORD, registerUser } from '../helpers.js'
import { codeClient } from './authorize-support.js'

const context = { ip: '127.0.0.1', userAgent: 'test' }

describe('BrowserSessions second step', () => {
  it('of concurrent right codes for one token, exactly one starts a session (20 rounds)', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const client = await codeClient(testApp)
    const { secret } = await enrolledUser(testApp, 'alice')
    for (let round = 0; round < 20; round++) {
      const first = await services.browserSessions.login('alice', PASSWORD, {
        ...context,
        clientId: client.id,
      })
      assert.ok(!first.ok && first.reason === 'second_factor', JSON.stringify(first))
      const code = codeAt(testApp, secret)
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          services.browserSessions.completeSecondFactor(first.mfaToken, code, {
            ...context,
            clientId: client.id,
          }),
        ),
      )
      assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results))
      // The step is used: the next round needs the next one.
      testApp.clock.advance(30_000)
    }
  })

  it('a right password of a user with a factor never leads to enrollment, whatever the roles', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } })
    const { services } = testApp
    const client = await codeClient(testApp)
    const { user } = await enrolledUser(testApp, 'alice')
    await services.store.users.setRoles(user.id, ['user', 'admin'], new Date().toISOString())
    const first = await services.browserSessions.login('alice', PASSWORD, {
      ...context,
      clientId: client.id,
    })
    assert.ok(!first.ok && first.reason === 'second_factor', JSON.stringify(first))
    const offer = await services.browserSessions.beginEnrollment(first.mfaToken, {
      ...context,
      clientId: client.id,
    })
    assert.equal(offer, null)
    assert.equal((await services.store.mfaFactors.listForUser(user.id)).length, 1)
  })

  it('an enrollment token of another client, or a made-up one, is refused', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_MFA_REQUIRED_ROLES: 'admin' } })
    const { services } = testApp
    const client = await codeClient(testApp)
    const other = await codeClient(testApp)
    const root = await registerUser(testApp.app, 'root')
    await services.store.users.setRoles(root.id, ['user', 'admin'], new Date().toISOString())
    const first = await services.browserSessions.login('root', PASSWORD, {
      ...context,
      clientId: client.id,
    })
    assert.ok(!first.ok && first.reason === 'enroll', JSON.stringify(first))
    const at = (clientId: string) => ({ ...context, clientId })
    assert.equal(await services.browserSessions.beginEnrollment(first.mfaToken, at(other.id)), null)
    assert.equal(
      await services.browserSessions.beginEnrollment('x'.repeat(43), at(client.id)),
      null,
    )
    assert.ok(await services.browserSessions.beginEnrollment(first.mfaToken, at(client.id)))
  })

  it('justSignedIn: only the named session, with a second factor, within 15 minutes', async (t) => {
    const testApp = await buildTestApp(t)
    const { services, clock } = testApp
    const client = await codeClient(testApp)
    const { secret } = await enrolledUser(testApp, 'alice')
    const first = await services.browserSessions.login('alice', PASSWORD, {
      ...context,
      clientId: client.id,
    })
    assert.ok(!first.ok && first.reason === 'second_factor')
    const done = await services.browserSessions.completeSecondFactor(
      first.mfaToken,
      codeAt(testApp, secret),
      { ...context, clientId: client.id },
    )
    assert.ok(done.ok)
    const id = done.login.session.id
    assert.equal((await services.browserSessions.justSignedIn(done.cookie, id))?.session.id, id)
    assert.equal(await services.browserSessions.justSignedIn(done.cookie, 'another'), null)
    assert.equal(await services.browserSessions.justSignedIn(null, id), null)
    clock.advance(15 * 60_000 + 1)
    assert.equal(await services.browserSessions.justSignedIn(done.cookie, id), null)
    // A password-only session never counts.
    await registerUser(testApp.app, 'bob')
    const bob = await services.browserSessions.login('bob', PASSWORD, context)
    assert.ok(bob.ok)
    assert.deepEqual(bob.login.session.amr, ['pwd'])
    assert.equal(
      await services.browserSessions.justSignedIn(bob.cookie, bob.login.session.id),
      null,
    )
  })
})
