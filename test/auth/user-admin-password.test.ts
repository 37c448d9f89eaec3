import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliActor } from '../../src/auth/audit.js'
import { buildTestApp, login, PASSWORD, registerUser } from '../helpers.js'

const NEW_PASSWORD = 'an operator-set passphrase for her'

describe('UserAdmin.setPassword', () => {
  it('sets a password under the policy, ends every session at once, and audits without it', async (t) => {
    const { app, services } = await buildTestApp(t)
    const user = await registerUser(app, 'ada')
    const first = await login(app, 'ada')
    await login(app, 'ada')

    await assert.rejects(services.userAdmin.setPassword(user.id, 'short', cliActor), {
      code: 'invalid_request',
      description: 'password must be at least 15 characters',
    })
    assert.equal((await services.sessions.listLive(user.id)).length, 2, 'a refusal ends nothing')

    assert.equal(await services.userAdmin.setPassword(user.id, NEW_PASSWORD, cliActor), 2)
    assert.deepEqual(await services.sessions.listLive(user.id), [])
    const me = await app.inject({
      url: '/users/me',
      headers: { authorization: `Bearer ${first}` },
    })
    assert.equal(me.statusCode, 401, 'the access tokens of the ended sessions are refused')
    assert.equal((await services.users.authenticate('ada', PASSWORD)).ok, false)
    assert.equal((await services.users.authenticate('ada', NEW_PASSWORD)).ok, true)
    const [event] = await services.store.audit.list({ type: 'admin.user.password', limit: 5 })
    assert.equal(event?.userId, user.id)
    assert.equal(event?.actorId, 'cli')
    assert.doesNotMatch(event?.detail ?? '', /passphrase/)

    await assert.rejects(services.userAdmin.setPassword('nobody', NEW_PASSWORD, cliActor), {
      code: 'not_found',
    })
  })
})
