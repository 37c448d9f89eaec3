import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { cliActor } from '../../src/auth/audit.js'
import { buildTestApp, getMe, login, PASSWORD, registerUser, type TestApp } from '../helpers.js'
import { latestToken, messagesTo, outboxMessages } from '../support/outbox.js'

const OLD = 'alice@example.com'
const NEW = 'Alice.New@Example.org'

const change = (app: FastifyInstance, access: string, payload: unknown) =>
  app.inject({
    method: 'PUT',
    url: '/users/me/email',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  })

const verify = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'POST', url: '/email/verify', payload: { token } })

/** Alice with the address OLD and an access token. */
async function alice(testApp: TestApp, email: string | null = OLD) {
  const user = await registerUser(testApp.app, 'alice', PASSWORD, email === null ? {} : { email })
  return { user, access: await login(testApp.app, 'alice') }
}

const me = async (app: FastifyInstance, access: string) =>
  (await getMe(app, `Bearer ${access}`)).json() as { email: string | null; email_verified: boolean }

describe('PUT /users/me/email', () => {
  it('answers 202 {message}, sends a confirmation to the new address and a notice to the old; nothing changes yet', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, access } = await alice(testApp)
    const res = await change(testApp.app, access, { new_email: NEW, password: PASSWORD })
    assert.equal(res.statusCode, 202, res.body)
    assert.deepEqual(res.json(), {
      message:
        'a confirmation link is on its way to the new address; the address changes once it is followed',
    })
    const store = testApp.services.store
    const [confirmation] = await messagesTo(store, NEW, 'confirm_email_change')
    assert.ok(confirmation, 'a confirmation to the new address')
    assert.match(confirmation.textBody, /\/verify-email#token=/)
    const [notice] = await messagesTo(store, OLD, 'email_change_requested')
    assert.ok(notice, 'a notice to the old address')
    assert.match(notice.textBody, /Alice\.New@Example\.org/)
    assert.doesNotMatch(notice.textBody, /token/)
    assert.equal((await me(testApp.app, access)).email, OLD)
    const [event] = await testApp.services.audit.list({ type: 'email.change_requested', limit: 5 })
    assert.equal(event?.userId, user.id)
    const token = await latestToken(store, NEW, 'confirm_email_change')
    assert.ok(!JSON.stringify(await testApp.services.audit.list({ limit: 100 })).includes(token))
  })

  it('changes the address, verified, when the link is confirmed, and tells the old address', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, access } = await alice(testApp)
    assert.equal(
      (await change(testApp.app, access, { new_email: NEW, password: PASSWORD })).statusCode,
      202,
    )
    const token = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
    const res = await verify(testApp.app, token)
    assert.equal(res.statusCode, 204, res.body)
    const now = await me(testApp.app, access)
    assert.equal(now.email, NEW)
    assert.equal(now.email_verified, true)
    const [changed] = await messagesTo(testApp.services.store, OLD, 'email_changed')
    assert.ok(changed, 'the old address is told')
    assert.match(changed.textBody, /Alice\.New@Example\.org/)
    const [event] = await testApp.services.audit.list({ type: 'email.changed', limit: 5 })
    assert.equal(event?.userId, user.id)
    // The new address logs in; the old one no longer does.
    assert.equal((await login(testApp.app, 'alice.new@example.org')).length > 0, true)
    assert.equal(
      (
        await testApp.app.inject({
          method: 'POST',
          url: '/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ username: OLD, password: PASSWORD }).toString(),
        })
      ).statusCode,
      400,
    )
    // Single use.
    const again = await verify(testApp.app, token)
    assert.equal(again.statusCode, 400)
    assert.equal(again.json().error, 'invalid_token')
  })

  it('a pending change dies when the owner takes the account back: reset, password change, set-password, disable', async (t) => {
    const takeBack: Record<
      string,
      (testApp: TestApp, userId: string, access: string) => Promise<void>
    > = {
      async 'a password reset'(testApp) {
        const forgot = await testApp.app.inject({
          method: 'POST',
          url: '/password/forgot',
          payload: { email: OLD },
        })
        assert.equal(forgot.statusCode, 202)
        await testApp.services.recovery.idle()
        const token = await latestToken(testApp.services.store, OLD, 'reset_password')
        const reset = await testApp.app.inject({
          method: 'POST',
          url: '/password/reset',
          payload: { token, new_password: 'the owner took the account back' },
        })
        assert.equal(reset.statusCode, 204, reset.body)
      },
      async 'a password change'(testApp, _userId, access) {
        const res = await testApp.app.inject({
          method: 'PUT',
          url: '/users/me/password',
          headers: { authorization: `Bearer ${access}` },
          payload: { current_password: PASSWORD, new_password: 'the owner took the account back' },
        })
        assert.equal(res.statusCode, 204, res.body)
      },
      async "an operator's set-password"(testApp, userId) {
        await testApp.services.userAdmin.setPassword(
          userId,
          'the owner took the account back',
          cliActor,
        )
      },
      async 'disabling the user'(testApp, userId) {
        await testApp.services.userAdmin.setDisabled(userId, true, cliActor)
      },
    }
    for (const [how, act] of Object.entries(takeBack)) {
      const testApp = await buildTestApp(t)
      const { user, access } = await alice(testApp)
      // Whoever knew the password asks to move the account to their address.
      const res = await change(testApp.app, access, { new_email: NEW, password: PASSWORD })
      assert.equal(res.statusCode, 202)
      const token = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
      await act(testApp, user.id, access)
      const confirm = await verify(testApp.app, token)
      assert.equal(confirm.statusCode, 400, `${how}: ${confirm.body}`)
      assert.equal(confirm.json().error, 'invalid_token')
      assert.equal((await testApp.services.store.users.findById(user.id))?.email, OLD, how)
    }
  })

  it('works for a user without an address: no notice, the new address is theirs once confirmed', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp, null)
    assert.equal(
      (await change(testApp.app, access, { new_email: NEW, password: PASSWORD })).statusCode,
      202,
    )
    assert.deepEqual(
      (await outboxMessages(testApp.services.store)).map((m) => [m.kind, m.recipient]),
      [['confirm_email_change', NEW]],
    )
    const token = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
    assert.equal((await verify(testApp.app, token)).statusCode, 204)
    assert.equal((await me(testApp.app, access)).email, NEW)
    assert.equal((await outboxMessages(testApp.services.store)).length, 1)
  })

  it('answers a wrong password with the same 400 invalid_grant as DELETE /users/me, and sends nothing', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    const before = (await outboxMessages(testApp.services.store)).length
    const res = await change(testApp.app, access, {
      new_email: NEW,
      password: 'wrong password here',
    })
    const other = await testApp.app.inject({
      method: 'DELETE',
      url: '/users/me',
      headers: { authorization: `Bearer ${access}` },
      payload: { password: 'wrong password here' },
    })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), other.json())
    assert.deepEqual(res.json(), {
      error: 'invalid_grant',
      error_description: 'the password is incorrect',
    })
    assert.equal((await outboxMessages(testApp.services.store)).length, before)
  })

  it('answers an address another user holds with 409 email_taken, whatever its case', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    await registerUser(testApp.app, 'bob', PASSWORD, { email: 'bob@example.com' })
    const before = (await outboxMessages(testApp.services.store)).length
    const res = await change(testApp.app, access, {
      new_email: 'BOB@example.com',
      password: PASSWORD,
    })
    assert.equal(res.statusCode, 409, res.body)
    assert.deepEqual(res.json(), {
      error: 'email_taken',
      error_description: 'that email is already registered',
    })
    assert.equal((await outboxMessages(testApp.services.store)).length, before)
  })

  it('answers 409 email_taken at confirmation when the address was taken meanwhile; the link stays usable', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    assert.equal(
      (await change(testApp.app, access, { new_email: NEW, password: PASSWORD })).statusCode,
      202,
    )
    const token = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
    const bob = await registerUser(testApp.app, 'bob', PASSWORD, { email: NEW.toLowerCase() })
    const res = await verify(testApp.app, token)
    assert.equal(res.statusCode, 409, res.body)
    assert.equal(res.json().error, 'email_taken')
    assert.equal((await me(testApp.app, access)).email, OLD)
    assert.deepEqual(await messagesTo(testApp.services.store, OLD, 'email_changed'), [])
    // Once the address is free again, the same link completes the change.
    await testApp.services.store.users.delete(bob.id)
    assert.equal((await verify(testApp.app, token)).statusCode, 204)
    assert.equal((await me(testApp.app, access)).email, NEW)
  })

  it('a newer request voids the older link', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    assert.equal(
      (await change(testApp.app, access, { new_email: NEW, password: PASSWORD })).statusCode,
      202,
    )
    const older = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
    assert.equal(
      (await change(testApp.app, access, { new_email: 'third@example.net', password: PASSWORD }))
        .statusCode,
      202,
    )
    const res = await verify(testApp.app, older)
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_token')
    const newer = await latestToken(
      testApp.services.store,
      'third@example.net',
      'confirm_email_change',
    )
    assert.equal((await verify(testApp.app, newer)).statusCode, 204)
    assert.equal((await me(testApp.app, access)).email, 'third@example.net')
  })

  it('expires with the verification lifetime', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    assert.equal(
      (await change(testApp.app, access, { new_email: NEW, password: PASSWORD })).statusCode,
      202,
    )
    const token = await latestToken(testApp.services.store, NEW, 'confirm_email_change')
    testApp.clock.advance(86_400_000)
    assert.equal((await verify(testApp.app, token)).statusCode, 400)
    assert.equal((await testApp.services.store.users.findByUsername('alice'))?.email, OLD)
  })

  for (const [name, payload, code, pattern] of [
    [
      'a malformed address',
      { new_email: 'not-an-address', password: PASSWORD },
      'invalid_request',
      /new_email is not a valid email address/,
    ],
    [
      'the current address',
      { new_email: 'ALICE@example.com', password: PASSWORD },
      'invalid_request',
      /already the address/,
    ],
    ['a missing password', { new_email: NEW }, 'invalid_request', /password/],
    [
      'an unknown field',
      { new_email: NEW, password: PASSWORD, email_verified: true },
      'invalid_request',
      /email_verified|additional/,
    ],
  ] as const) {
    it(`answers ${name} with 400 ${code}`, async (t) => {
      const testApp = await buildTestApp(t)
      const { access } = await alice(testApp)
      const before = (await outboxMessages(testApp.services.store)).length
      const res = await change(testApp.app, access, payload)
      assert.equal(res.statusCode, 400, res.body)
      assert.equal(res.json().error, code)
      assert.match(res.json().error_description, pattern)
      assert.equal((await outboxMessages(testApp.services.store)).length, before)
    })
  }

  it('needs the profile scope and a JSON body', async (t) => {
    const testApp = await buildTestApp(t)
    const { access } = await alice(testApp)
    const narrow = await testApp.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        username: 'alice',
        password: PASSWORD,
        scope: 'email',
      }).toString(),
    })
    const forbidden = await change(testApp.app, narrow.json().access_token, {
      new_email: NEW,
      password: PASSWORD,
    })
    assert.equal(forbidden.statusCode, 403)
    assert.equal(forbidden.json().error, 'insufficient_scope')
    assert.match(String(forbidden.headers['www-authenticate']), /scope="profile"/)
    const unauthenticated = await testApp.app.inject({
      method: 'PUT',
      url: '/users/me/email',
      payload: { new_email: NEW, password: PASSWORD },
    })
    assert.equal(unauthenticated.statusCode, 401)
    assert.equal(unauthenticated.headers['www-authenticate'], 'Bearer realm="portcullis"')
    const form = await testApp.app.inject({
      method: 'PUT',
      url: '/users/me/email',
      headers: {
        authorization: `Bearer ${access}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `new_email=${encodeURIComponent(NEW)}&password=x`,
    })
    assert.equal(form.statusCode, 415)
  })
})
