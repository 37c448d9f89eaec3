import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliActor } from '../../src/auth/audit.js'
import { type GrantHarness, grantHarness, rejectsWith } from './grants-support.js'

/** A confidential client_credentials client allowed `profile` (a built-in scope) and `email`. */
async function machine(h: GrantHarness) {
  const { client } = await h.services.clients.create(
    {
      id: 'billing',
      name: 'billing',
      confidential: true,
      grantTypes: ['client_credentials'],
      scopes: ['profile', 'email'],
    },
    cliActor,
  )
  return client
}

describe('TokenGrants: client_credentials grant', () => {
  it('issues a token for the client itself, without built-in scopes or refresh token', async (t) => {
    const h = await grantHarness(t)
    const client = await machine(h)
    const body = await h.services.grants.issue('client_credentials', {}, h.context(client))
    assert.equal(body.scope, 'email')
    assert.equal(body.refresh_token, undefined)
    const claims = await h.services.tokens.verify(body.access_token)
    assert.equal(claims.sub, 'billing')
    assert.equal(claims.sid, undefined)
    const [record] = await h.services.audit.list({ type: 'token.client_credentials', limit: 5 })
    assert.equal(record?.actorId, 'billing')
    assert.equal(record?.clientId, 'billing')
    assert.equal(record?.ip, '192.0.2.10')
    assert.equal(record?.userAgent, 'grants-test')
    assert.deepEqual(JSON.parse(record?.detail ?? ''), { scope: 'email' })
  })

  for (const [label, scope, description] of [
    ['an unknown scope', 'email nope', /^unknown scope: nope$/],
    ['a built-in scope', 'profile', /^scope not permitted: profile$/],
    ['an offered scope the client lacks', 'sessions', /^scope not permitted: sessions$/],
  ] as const) {
    it(`refuses ${label} with invalid_scope`, async (t) => {
      const h = await grantHarness(t)
      const client = await machine(h)
      await rejectsWith(
        h.services.grants.issue('client_credentials', { scope }, h.context(client)),
        'invalid_scope',
        description,
      )
      assert.deepEqual(await h.audit('token.client_credentials'), [])
    })
  }

  it('refuses a public client with unauthorized_client', async (t) => {
    const h = await grantHarness(t)
    const publicClient = { ...h.services.clients.builtin, grantTypes: ['client_credentials'] }
    await rejectsWith(
      h.services.grants.issue('client_credentials', {}, h.context(publicClient)),
      'unauthorized_client',
      /confidential/,
    )
    await rejectsWith(
      h.services.grants.issue('client_credentials', {}, h.context()),
      'unauthorized_client',
      /may not use client_credentials/,
    )
  })

  it('counts client tokens per IP against the request limit', async (t) => {
    const h = await grantHarness(t, {
      PORTCULLIS_RATE_LIMITS: 'true',
      PORTCULLIS_REQUEST_LIMIT: '2',
    })
    const client = await machine(h)
    for (let i = 0; i < 2; i++) {
      await h.services.grants.issue('client_credentials', {}, h.context(client))
    }
    await rejectsWith(
      h.services.grants.issue('client_credentials', {}, h.context(client)),
      'too_many_requests',
    )
    // IPv6 addresses count by /64: another address of the same network shares the limit.
    const v6 = (ip: string) => h.context(client, { ip })
    await h.services.grants.issue('client_credentials', {}, v6('2001:db8:1:2::1'))
    await h.services.grants.issue('client_credentials', {}, v6('2001:db8:1:2::2'))
    await rejectsWith(
      h.services.grants.issue('client_credentials', {}, v6('2001:db8:1:2:ffff::3')),
      'too_many_requests',
    )
  })
})
