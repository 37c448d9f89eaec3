import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliActor } from '../../src/auth/audit.js'
import { type GrantHarness, grantHarness, PASSWORD, rejectsWith } from './grants-support.js'

/** Logs alice in through the password grant; returns her refresh token. */
async function login(h: GrantHarness, scope?: string): Promise<string> {
  const form = { username: 'alice', password: PASSWORD, ...(scope ? { scope } : {}) }
  const body = await h.services.grants.issue('password', form, h.context())
  assert.ok(body.refresh_token)
  return body.refresh_token
}

const refresh = (h: GrantHarness, refresh_token: string, scope?: string) =>
  h.services.grants.issue(
    'refresh_token',
    { refresh_token, ...(scope === undefined ? {} : { scope }) },
    h.context(),
  )

describe('TokenGrants: refresh_token grant', () => {
  it('rotates the refresh token and keeps the session and scope', async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const first = await login(h)
    const body = await refresh(h, first)
    assert.equal(body.scope, 'profile sessions email')
    assert.ok(body.refresh_token && body.refresh_token !== first)
    assert.equal(body.device_token, undefined)
    const claims = await h.services.tokens.verify(body.access_token)
    const [session] = await h.services.sessions.listLive(id)
    assert.equal(claims.sid, session?.id)
    // The spent token presented again is reuse: the session ends (RFC 9700 §4.14.2).
    await rejectsWith(refresh(h, first), 'invalid_grant', /already used/)
    assert.deepEqual(await h.services.sessions.listLive(id), [])
  })

  it('narrows on request and refuses to widen, leaving the token unspent', async (t) => {
    const h = await grantHarness(t)
    await h.register('alice')
    const token = await login(h, 'profile sessions')
    await rejectsWith(refresh(h, token, 'profile email'), 'invalid_scope', /exceeds.*: email$/)
    const narrowed = await refresh(h, token, 'profile')
    assert.equal(narrowed.scope, 'profile')
  })

  it("drops the scopes the user's roles no longer grant", async (t) => {
    const h = await grantHarness(t, { PORTCULLIS_ROLES: 'reader=profile' })
    const id = await h.register('alice')
    const token = await login(h)
    await h.services.userAdmin.setRoles(id, ['reader'], cliActor)
    assert.equal((await refresh(h, token)).scope, 'profile')
  })

  for (const [label, form, code] of [
    ['no refresh_token', {}, 'invalid_request'],
    ['an empty refresh_token', { refresh_token: '' }, 'invalid_request'],
    ['a malformed refresh_token', { refresh_token: 'nope' }, 'invalid_grant'],
    ['an unknown refresh_token', { refresh_token: 'A'.repeat(43) }, 'invalid_grant'],
  ] as const) {
    it(`answers ${label} with ${code}`, async (t) => {
      const h = await grantHarness(t)
      await rejectsWith(h.services.grants.issue('refresh_token', form, h.context()), code)
    })
  }

  it("refuses another client's refresh token and a disabled user's", async (t) => {
    const h = await grantHarness(t)
    const id = await h.register('alice')
    const token = await login(h)
    const { client } = await h.services.clients.create(
      { name: 'other', confidential: false, grantTypes: ['refresh_token'], scopes: ['profile'] },
      cliActor,
    )
    const other = h.services.grants.issue(
      'refresh_token',
      { refresh_token: token },
      h.context(client),
    )
    await rejectsWith(other, 'invalid_grant', /invalid, expired or revoked/)
    await h.services.userAdmin.setDisabled(id, true, cliActor)
    await rejectsWith(refresh(h, token), 'invalid_grant', /invalid, expired or revoked/)
  })

  it('counts refreshes per IP against the request limit before reading the token', async (t) => {
    const h = await grantHarness(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_REQUEST_LIMIT: '2',
    })
    await h.register('alice')
    const token = await login(h)
    await rejectsWith(refresh(h, 'A'.repeat(43)), 'invalid_grant')
    await rejectsWith(refresh(h, 'A'.repeat(43)), 'invalid_grant')
    const limited = await rejectsWith(refresh(h, token), 'too_many_requests')
    assert.equal(limited.headers['retry-after'], '60')
    h.clock.advance(60_000)
    assert.equal((await refresh(h, token)).token_type, 'Bearer')
  })

  it('limits nothing where limits are off', async (t) => {
    const h = await grantHarness(t, { PORTCULLIS_REQUEST_LIMIT: '2' })
    for (let i = 0; i < 4; i++) await rejectsWith(refresh(h, 'A'.repeat(43)), 'invalid_grant')
  })
})
