import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { decodeJwt } from 'jose'
import { SoftAuthenticator } from '../auth/passkeys-authenticator.js'
import { buildTestApp, ISSUER, PASSWORD, registerUser } from '../helpers.js'
import { attr } from '../support/html-page.js'
import { authorizeQuery, codeClient, exchange, pkce, redirected } from './authorize-support.js'
import { openForm, postForm, setCookies } from './login-support.js'

const context = { clientId: null, ip: '192.0.2.1', userAgent: null }

/** A user with a passkey, a code client and the login page of a request. */
async function setUp(t: TestContext) {
  const testApp = await buildTestApp(t)
  const { services } = testApp
  const registered = await registerUser(testApp.app, 'alice')
  const user = await services.users.findById(registered.id)
  assert.ok(user)
  const authenticator = new SoftAuthenticator({ origin: ISSUER })
  const creation = await services.passkeys.registrationOptions(user)
  await services.passkeys.register(user, authenticator.create(creation), undefined, context)
  const client = await codeClient(testApp)
  const { verifier, challenge } = pkce()
  const query = authorizeQuery(client, challenge, { scope: 'openid profile', nonce: 'n-1' })
  const form = await openForm(testApp, `/login?${new URLSearchParams(query)}`)
  const fields = { ...form.hidden, csrf: form.csrf }
  const options = (extra: Record<string, string> = {}, cookies = [form.csrfCookie]) =>
    postForm(testApp, '/login/passkey/options', { ...fields, ...extra }, cookies)
  const post = (credential: unknown, extra: Record<string, string> = {}) =>
    postForm(
      testApp,
      '/login/passkey',
      { ...fields, ...extra, credential: JSON.stringify(credential) },
      [form.csrfCookie],
    )
  return { ...testApp, user, authenticator, client, verifier, form, fields, options, post }
}

describe('passkey sign-in at the hosted login page', () => {
  it('shows the passkey form (hidden until the script) and loads only the passkey script', async (t) => {
    const h = await setUp(t)
    const form = h.form.page.byId('passkey-sign-in')
    assert.equal(attr(form, 'action'), 'login/passkey')
    assert.equal(attr(form, 'data-passkey-options'), 'login/passkey/options')
    assert.notEqual(attr(form, 'hidden'), undefined)
    const scripts = h.form.page.all((e) => e.name === 'script').map((e) => attr(e, 'src'))
    assert.equal(scripts.length, 1)
    assert.match(String(scripts[0]), /^assets\/passkey\.js\?v=[0-9a-f]{16}$/)
    const script = await h.app.inject(String(scripts[0]))
    assert.equal(script.statusCode, 200)
    assert.match(String(script.headers['content-type']), /^text\/javascript/)
  })

  it('signs in without a username: the code’s ID token says hwk user mfa', async (t) => {
    const h = await setUp(t)
    const res = await h.options()
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.headers['cache-control'], 'no-store')
    const options = res.json()
    assert.equal(options.allowCredentials, undefined)
    const signedIn = await h.post(h.authenticator.get(options))
    const { params } = redirected(signedIn, h.client.redirectUris[0])
    assert.ok(setCookies(signedIn).get('portcullis-session'))
    const tokens = await exchange(h, h.client, params.get('code') as string, h.verifier)
    assert.equal(tokens.statusCode, 200, tokens.body)
    const idToken = decodeJwt(tokens.json().id_token)
    assert.equal(idToken.sub, h.user.id)
    assert.deepEqual(idToken.amr, ['hwk', 'user', 'mfa'])
  })

  it('refuses the options without the CSRF cookie, and a replayed or garbage credential', async (t) => {
    const h = await setUp(t)
    const forged = await h.options({}, [])
    assert.equal(forged.statusCode, 403)
    assert.equal(forged.json().error, 'access_denied')
    const options = (await h.options()).json()
    const credential = h.authenticator.get(options)
    redirected(await h.post(credential), h.client.redirectUris[0])
    for (const bad of [credential, 'not json', [1], { id: 5 }]) {
      const res = await h.post(bad)
      assert.equal(res.statusCode, 400, res.body)
      assert.match(res.body, /The passkey was not accepted/)
      assert.equal(setCookies(res).get('portcullis-session'), undefined)
    }
  })

  it('after a right password, the passkey completes the second step: pwd hwk user mfa', async (t) => {
    const h = await setUp(t)
    const login = await postForm(
      h,
      '/login',
      { ...h.fields, username: 'alice', password: PASSWORD },
      [h.form.csrfCookie],
    )
    assert.equal(login.statusCode, 200, login.body)
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(login.body)?.[1]
    assert.ok(mfaToken, login.body)
    assert.ok(login.body.includes('id="passkey-second-factor"'), login.body)
    const csrf = setCookies(login).get('portcullis-csrf') ?? h.form.csrf
    const step = { mfa_token: mfaToken, csrf }
    const cookies = [`portcullis-csrf=${csrf}`]
    const optionsRes = await h.options(step, cookies)
    assert.equal(optionsRes.statusCode, 200, optionsRes.body)
    const options = optionsRes.json()
    assert.equal(options.allowCredentials.length, 1)
    const done = await postForm(
      h,
      '/login/passkey',
      { ...h.fields, ...step, credential: JSON.stringify(h.authenticator.get(options)) },
      cookies,
    )
    const { params } = redirected(done, h.client.redirectUris[0])
    const tokens = await exchange(h, h.client, params.get('code') as string, h.verifier)
    assert.deepEqual(decodeJwt(tokens.json().id_token).amr, ['pwd', 'hwk', 'user', 'mfa'])
    // The step's token is spent: its options are refused now.
    assert.equal((await h.options(step, cookies)).statusCode, 400)
  })
})

describe('/add-passkey: a passkey added from a signed-in browser', () => {
  it('adds a passkey with the session and CSRF cookies, and refuses without them', async (t) => {
    const testApp = await buildTestApp(t)
    const { services } = testApp
    const registered = await registerUser(testApp.app, 'alice')
    const anonymous = await testApp.app.inject('/add-passkey')
    assert.equal(anonymous.statusCode, 401)
    assert.match(anonymous.body, /Sign in first/)
    const signedIn = await services.browserSessions.login('alice', PASSWORD, {
      ip: '192.0.2.1',
      userAgent: null,
    })
    assert.ok(signedIn.ok && 'cookie' in signedIn)
    const session = `portcullis-session=${signedIn.cookie}`
    const form = await openForm(testApp, '/add-passkey', session)
    assert.equal(attr(form.page.byId('passkey-register'), 'data-passkey'), 'create')
    const cookies = [session, form.csrfCookie]
    const forged = await postForm(
      testApp,
      '/add-passkey/options',
      { csrf: 'x'.repeat(43) },
      cookies,
    )
    assert.equal(forged.statusCode, 403)
    const noSession = await postForm(testApp, '/add-passkey/options', { csrf: form.csrf }, [
      form.csrfCookie,
    ])
    assert.equal(noSession.statusCode, 401)
    assert.equal(noSession.json().error, 'unauthorized')
    const options = await postForm(testApp, '/add-passkey/options', { csrf: form.csrf }, cookies)
    assert.equal(options.statusCode, 200, options.body)
    const credential = new SoftAuthenticator({ origin: ISSUER }).create(options.json())
    const add = (fields: Record<string, string>) =>
      postForm(testApp, '/add-passkey', { csrf: form.csrf, ...fields }, cookies)
    const added = await add({ name: 'Laptop', credential: JSON.stringify(credential) })
    assert.equal(added.statusCode, 200, added.body)
    assert.match(added.body, /Passkey added\./)
    const [stored] = await services.passkeys.list(registered.id)
    assert.equal(stored?.name, 'Laptop')
    // With a factor on, the password-only sign-in that added it adds nothing more (step-up).
    const stale = await add({ credential: JSON.stringify(credential) })
    assert.equal(stale.statusCode, 401)
    assert.match(stale.body, /Sign in first/)
    // A sign-in with the passkey may: a replayed or broken credential is then a 400.
    const user = await services.store.users.findById(registered.id)
    assert.ok(user)
    const now = new Date(testApp.clock.now()).toISOString()
    const strong = await services.browserSessions.start(user, ['hwk', 'user', 'mfa'], now, {
      ip: '192.0.2.1',
      userAgent: null,
    })
    const strongCookies = [`portcullis-session=${strong.cookie}`, form.csrfCookie]
    const addAgain = (fields: Record<string, string>) =>
      postForm(testApp, '/add-passkey', { csrf: form.csrf, ...fields }, strongCookies)
    const replayed = await addAgain({ credential: JSON.stringify(credential) })
    assert.equal(replayed.statusCode, 400)
    assert.match(replayed.body, /No passkey was added/)
    assert.equal((await addAgain({ credential: '{' })).statusCode, 400)
    assert.equal((await services.passkeys.list(registered.id)).length, 1)
  })
})
