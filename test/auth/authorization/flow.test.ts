import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { AuthorizeOutcome } from '../../../src/auth/authorization/outcome.js'
import type { BrowserLogin } from '../../../src/auth/browser-sessions.js'
import type { ClientRecord } from '../../../src/store/store.js'
import { buildTestApp, ISSUER, type TestApp } from '../../helpers.js'
import {
  authorizeQuery,
  browserSession,
  codeClient,
  pkce,
  REDIRECT,
} from '../../routes/authorize-support.js'

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url')

/** The signed-in browser as the route hands it to the flow. */
async function signedIn(testApp: TestApp, options: { authTime?: number } = {}) {
  const { session, userId } = await browserSession(testApp, 'alice', options)
  const user = await testApp.services.store.users.findById(userId)
  assert.ok(user)
  return { session, user } satisfies BrowserLogin
}

async function setup(t: TestContext, client: Partial<ClientRecord> = {}) {
  const testApp = await buildTestApp(t)
  const app = await codeClient(testApp, client)
  const { challenge } = pkce()
  const params = (extra: Record<string, string> = {}) => authorizeQuery(app, challenge, extra)
  return { testApp, flow: testApp.services.authorization, client: app, challenge, params }
}

/** The parameters of a redirect to the client (asserting it is one). */
function toClient(outcome: AuthorizeOutcome) {
  assert.equal(outcome.kind, 'redirect', JSON.stringify(outcome))
  const location = (outcome as { location: string }).location
  assert.ok(location.startsWith(`${REDIRECT}?`), location)
  const params = new URLSearchParams(location.slice(REDIRECT.length + 1))
  assert.equal(params.get('iss'), ISSUER)
  return params
}

function assertKind(outcome: AuthorizeOutcome, kind: 'login' | 'consent') {
  assert.equal(outcome.kind, kind, JSON.stringify(outcome))
  return (outcome as { request: { params: Readonly<Record<string, string>> } }).request
}

describe('AuthorizationFlow: when to ask for a login (OpenID Connect Core §3.1.2.3)', () => {
  it('asks without a browser session; prompt=none answers login_required', async (t) => {
    const { flow, params } = await setup(t)
    assertKind(await flow.authorize(params(), null), 'login')
    const silent = toClient(await flow.authorize(params({ prompt: 'none' }), null))
    assert.equal(silent.get('error'), 'login_required')
  })

  it('issues a code to a signed-in browser, silently with prompt=none too', async (t) => {
    const { testApp, flow, params } = await setup(t)
    const browser = await signedIn(testApp)
    assert.ok(toClient(await flow.authorize(params(), browser)).get('code'))
    assert.ok(toClient(await flow.authorize(params({ prompt: 'none' }), browser)).get('code'))
  })

  it('asks again for prompt=login, and not after the fresh login (params drop prompt=login)', async (t) => {
    const { testApp, flow, params } = await setup(t, { firstParty: false })
    const browser = await signedIn(testApp)
    const login = assertKind(await flow.authorize(params({ prompt: 'login' }), browser), 'login')
    assert.equal(login.params.prompt, 'login')
    const after = await flow.authorize(login.params, browser, { freshLogin: true })
    // A third-party client: the consent page comes next, without prompt=login to loop back.
    const consent = assertKind(after, 'consent')
    assert.equal(consent.params.prompt, undefined)
    const both = await flow.authorize(params({ prompt: 'login consent' }), browser, {
      freshLogin: true,
    })
    assert.equal(assertKind(both, 'consent').params.prompt, 'consent')
  })

  it('asks again when the last sign-in is older than max_age, and drops max_age after it', async (t) => {
    const { testApp, flow, params } = await setup(t)
    const browser = await signedIn(testApp, { authTime: testApp.clock.now() - 100_000 })
    const login = assertKind(await flow.authorize(params({ max_age: '99' }), browser), 'login')
    assert.equal(login.params.max_age, '99')
    assert.ok(toClient(await flow.authorize(params({ max_age: '100' }), browser)).get('code'))
    const silent = toClient(
      await flow.authorize(params({ max_age: '99', prompt: 'none' }), browser),
    )
    assert.equal(silent.get('error'), 'login_required')
    const fresh = {
      ...browser,
      session: { ...browser.session, authTime: new Date(testApp.clock.now()).toISOString() },
    }
    const after = await flow.authorize(login.params, fresh, { freshLogin: true })
    assert.ok(toClient(after).get('code'))
  })
})

describe('AuthorizationFlow: consent (OpenID Connect Core §3.1.2.4)', () => {
  it('never asks a first-party client unless it sends prompt=consent (Core §3.1.2.1)', async (t) => {
    const { testApp, flow, params } = await setup(t, { firstParty: true })
    const browser = await signedIn(testApp)
    assert.ok(toClient(await flow.authorize(params(), browser)).get('code'))
    assertKind(await flow.authorize(params({ prompt: 'consent' }), browser), 'consent')
    const answered = { consent: 'allow' } as const
    assert.ok(
      toClient(await flow.authorize(params({ prompt: 'consent' }), browser, answered)).get('code'),
    )
  })

  it('asks a third-party client once, remembers an allow, and prompt=none answers consent_required', async (t) => {
    const { testApp, flow, client, params } = await setup(t, { firstParty: false })
    const browser = await signedIn(testApp)
    const asked = params({ scope: 'openid profile' })
    assertKind(await flow.authorize(asked, browser), 'consent')
    const silent = toClient(await flow.authorize({ ...asked, prompt: 'none' }, browser))
    assert.equal(silent.get('error'), 'consent_required')

    assert.ok(toClient(await flow.authorize(asked, browser, { consent: 'allow' })).get('code'))
    const stored = await testApp.services.store.consents.find(browser.user.id, client.id)
    assert.deepEqual(stored?.scopes.sort(), ['openid', 'profile'])
    assert.ok(toClient(await flow.authorize(asked, browser)).get('code'))
    assert.ok(toClient(await flow.authorize({ ...asked, prompt: 'none' }, browser)).get('code'))
    // A scope not allowed yet, or prompt=consent, asks again.
    assertKind(await flow.authorize(params({ scope: 'openid email' }), browser), 'consent')
    assertKind(await flow.authorize({ ...asked, prompt: 'consent' }, browser), 'consent')
  })

  it('sends access_denied when the user denies, and audits it', async (t) => {
    const { testApp, flow, client, params } = await setup(t, { firstParty: false })
    const browser = await signedIn(testApp)
    const denied = toClient(await flow.authorize(params(), browser, { consent: 'deny' }))
    assert.equal(denied.get('error'), 'access_denied')
    assert.equal(denied.get('state'), 'xyz')
    assert.equal(await testApp.services.store.consents.find(browser.user.id, client.id), null)
    const records = await testApp.services.store.audit.list({ type: 'authorize.denied', limit: 5 })
    assert.equal(records.length, 1)
    assert.equal(records[0]?.clientId, client.id)
  })
})

describe('AuthorizationFlow: scopes and the code', () => {
  it('refuses a scope the user may not have (invalid_scope)', async (t) => {
    const { testApp, flow, params } = await setup(t)
    const browser = await signedIn(testApp)
    const refused = toClient(await flow.authorize(params({ scope: 'openid admin' }), browser))
    assert.equal(refused.get('error'), 'invalid_scope')
  })

  it('stores only the hash of a 256-bit code, bound to the request, for 60 seconds', async (t) => {
    const { testApp, flow, client, challenge, params } = await setup(t)
    const browser = await signedIn(testApp)
    const outcome = await flow.authorize(
      params({ scope: 'openid profile', nonce: 'n-0S6', resource: '' }),
      browser,
    )
    const code = toClient(outcome).get('code') as string
    assert.match(code, /^[A-Za-z0-9_-]{43}$/)
    const record = await testApp.services.store.authorizationCodes.find(sha256(code))
    const now = testApp.clock.now()
    assert.deepEqual(record, {
      hash: sha256(code),
      clientId: client.id,
      userId: browser.user.id,
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      scope: 'openid profile',
      nonce: 'n-0S6',
      resource: null,
      browserSessionId: browser.session.id,
      authTime: browser.session.authTime,
      amr: ['pwd'],
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
      usedAt: null,
      sessionId: null,
    })
    assert.equal(await testApp.services.store.authorizationCodes.find(code), null)
    const records = await testApp.services.store.audit.list({ type: 'authorize.code', limit: 5 })
    assert.equal(records.length, 1)
    assert.ok(!JSON.stringify(records).includes(code))
  })

  it('grants the default scopes the user may have when none are asked', async (t) => {
    const { testApp, flow, params } = await setup(t)
    const browser = await signedIn(testApp)
    const code = toClient(await flow.authorize(params(), browser)).get('code') as string
    const record = await testApp.services.store.authorizationCodes.find(sha256(code))
    assert.equal(record?.scope, 'profile email')
  })
})
