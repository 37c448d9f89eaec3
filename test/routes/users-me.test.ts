import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  base64url,
  type CryptoKey,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose'
import { buildTestApp, getMe, ISSUER, login, registerUser, type TestApp } from '../helpers.js'

/** A registered user, a valid token for it, and that token's live session id. */
async function withUser(testApp: TestApp) {
  const user = await registerUser(testApp.app, 'alice')
  const token = await login(testApp.app, 'alice')
  return { user, token, sid: String(decodeJwt(token).sid) }
}

function assertInvalidToken(res: Awaited<ReturnType<typeof getMe>>) {
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().error, 'invalid_token')
  assert.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="portcullis", error="invalid_token"/,
  )
}

const encode = (value: object) => base64url.encode(JSON.stringify(value))

/** Claims a genuine token would carry (with a live session), for forging variants of it. */
function claimsFor(sub: string, nowSeconds: number, sid: string): JWTPayload {
  return {
    sid,
    iss: ISSUER,
    aud: ISSUER,
    sub,
    iat: nowSeconds,
    exp: nowSeconds + 600,
    jti: 'f0f0f0f0-0000-4000-8000-000000000000',
    client_id: 'portcullis',
    scope: 'profile',
  }
}

describe('GET /users/me', () => {
  it('returns the public user of a valid token', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, token } = await withUser(testApp)
    const res = await getMe(testApp.app, `Bearer ${token}`)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      ...user,
      email: null,
      full_name: null,
      email_verified: false,
    })
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['content-security-policy'], "frame-ancestors 'none'")
    assert.equal(res.headers['referrer-policy'], 'no-referrer')
  })

  it('accepts the scheme name in any case', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await withUser(testApp)
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      assert.equal((await getMe(testApp.app, `${scheme} ${token}`)).statusCode, 200, scheme)
    }
  })

  it('answers no credentials with 401 and a challenge without an error code', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await getMe(app)
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="portcullis"')
    assert.doesNotMatch(String(res.headers['www-authenticate']), /error=/)
  })

  it('answers another scheme (Basic) like missing credentials', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await getMe(app, `Basic ${Buffer.from('alice:pw').toString('base64')}`)
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="portcullis"')
  })

  for (const header of [
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'Bearer tok%en',
    'Bearer "abc"',
    ' Bearer abc',
    '',
  ]) {
    it(`answers the malformed header ${JSON.stringify(header)} with 400 invalid_request`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await getMe(app, header)
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(String(res.headers['www-authenticate']), /error="invalid_request"/)
    })
  }

  it('rejects an expired token with 401 invalid_token, also when it was cached', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await withUser(testApp)
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    testApp.clock.advance(899_000)
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    testApp.clock.advance(1_000)
    const res = await getMe(testApp.app, `Bearer ${token}`)
    assertInvalidToken(res)
    assert.match(res.json().error_description, /expired/)
  })

  it('rejects an expired token that was never cached', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await withUser(testApp)
    testApp.clock.advance(901_000)
    assertInvalidToken(await getMe(testApp.app, `Bearer ${token}`))
  })

  it('rejects the token of a disabled or deleted user, even once cached', async (t) => {
    const testApp = await buildTestApp(t)
    const { user, token } = await withUser(testApp)
    const users = testApp.services.store.users
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    await users.setDisabled(user.id, true, new Date().toISOString())
    assertInvalidToken(await getMe(testApp.app, `Bearer ${token}`))
    await users.setDisabled(user.id, false, new Date().toISOString())
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    await users.delete(user.id)
    assertInvalidToken(await getMe(testApp.app, `Bearer ${token}`))
  })

  describe('refuses forged and tampered tokens', () => {
    it('a tampered payload', async (t) => {
      const testApp = await buildTestApp(t)
      const { token } = await withUser(testApp)
      const [h, p, s] = token.split('.')
      const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString())
      const forged = `${h}.${encode({ ...payload, sub: 'someone-else' })}.${s}`
      assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
    })

    it('a flipped signature and bad base64url', async (t) => {
      const testApp = await buildTestApp(t)
      const { token } = await withUser(testApp)
      const last = token.at(-2) === 'A' ? 'B' : 'A'
      const flipped = `${token.slice(0, -2)}${last}${token.at(-1)}`
      assertInvalidToken(await getMe(testApp.app, `Bearer ${flipped}`))
      assertInvalidToken(await getMe(testApp.app, 'Bearer abc.def.ghi'))
      assertInvalidToken(await getMe(testApp.app, 'Bearer not-a-jwt'))
      assertInvalidToken(await getMe(testApp.app, `Bearer ${token}.extra`))
    })

    it('alg "none"', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const kid = testApp.services.keyring.signingKey().kid
      const now = testApp.clock.now() / 1000
      const none = `${encode({ alg: 'none', typ: 'at+jwt', kid })}.${encode(claimsFor(user.id, now, sid))}.`
      assertInvalidToken(await getMe(testApp.app, `Bearer ${none}`))
    })

    it('HS256 signed with the public key (algorithm confusion)', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const key = testApp.services.keyring.signingKey()
      const header = encode({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
      const body = encode(claimsFor(user.id, testApp.clock.now() / 1000, sid))
      for (const secret of [JSON.stringify(key.publicJwk), key.publicJwk?.x ?? '']) {
        const mac = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url')
        assertInvalidToken(await getMe(testApp.app, `Bearer ${header}.${body}.${mac}`))
      }
    })

    it('a token signed by a key this server does not hold, even with our kid', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const { privateKey } = await generateKeyPair('ES256')
      const kid = testApp.services.keyring.signingKey().kid
      const forged = await new SignJWT(claimsFor(user.id, testApp.clock.now() / 1000, sid))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
        .sign(privateKey)
      assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
    })

    for (const name of ['jku', 'x5u', 'jwk', 'x5c']) {
      it(`a "${name}" header, even on an otherwise valid signature`, async (t) => {
        const testApp = await buildTestApp(t)
        const { user, sid } = await withUser(testApp)
        const key = testApp.services.keyring.signingKey()
        const extra =
          name === 'jwk'
            ? { jwk: await exportJWK((await generateKeyPair('ES256')).publicKey) }
            : { [name]: name === 'x5c' ? ['MIIB'] : 'https://attacker.example/keys' }
        const forged = await new SignJWT(claimsFor(user.id, testApp.clock.now() / 1000, sid))
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...extra })
          .sign(key.privateKey)
        assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
      })
    }

    it('odd or missing kids', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const key = testApp.services.keyring.signingKey()
      for (const kid of [undefined, '../../etc/passwd', "' OR 1=1 --", '', 'a'.repeat(43), 42]) {
        const forged = await new SignJWT(claimsFor(user.id, testApp.clock.now() / 1000, sid))
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'at+jwt',
            ...(kid === undefined ? {} : { kid }),
          } as never)
          .sign(key.privateKey)
        assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
      }
    })

    it('our own signature over the wrong typ, issuer, audience, or missing claims', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const key = testApp.services.keyring.signingKey()
      const now = testApp.clock.now() / 1000
      const base = claimsFor(user.id, now, sid)
      const { exp: _exp, ...noExp } = base
      const { jti: _jti, ...noJti } = base
      const variants: Array<[string, JWTPayload]> = [
        ['JWT', base],
        ['at+jwt', { ...base, iss: 'https://evil.example' }],
        ['at+jwt', { ...base, aud: 'https://other.example' }],
        ['at+jwt', noExp],
        ['at+jwt', noJti],
        ['at+jwt', { ...base, nbf: now + 60 }],
        ['at+jwt', { ...base, scope: undefined }],
        ['at+jwt', { ...base, exp: now - 1 }],
      ]
      for (const [typ, claims] of variants) {
        const forged = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'ES256', typ, kid: key.kid })
          .sign(key.privateKey)
        assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
      }
    })

    it('an unknown critical header, validly signed', async (t) => {
      const testApp = await buildTestApp(t)
      const { user, sid } = await withUser(testApp)
      const key = testApp.services.keyring.signingKey()
      const header = encode({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, crit: ['exp2'], exp2: 1 })
      const body = encode(claimsFor(user.id, testApp.clock.now() / 1000, sid))
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        key.privateKey as CryptoKey,
        new TextEncoder().encode(`${header}.${body}`),
      )
      const forged = `${header}.${body}.${base64url.encode(new Uint8Array(signature))}`
      assertInvalidToken(await getMe(testApp.app, `Bearer ${forged}`))
    })
  })

  it('rejects a cached token once its signing key is retired', async (t) => {
    const testApp = await buildTestApp(t)
    const { token } = await withUser(testApp)
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
    const { keyring, store } = testApp.services
    await store.signingKeys.revoke(keyring.signingKey().kid, new Date().toISOString(), null)
    await keyring.load()
    assertInvalidToken(await getMe(testApp.app, `Bearer ${token}`))
  })

  it('works with EdDSA (Ed25519) keys when configured', async (t) => {
    const testApp = await buildTestApp(t, { env: { PORTCULLIS_SIGNING_ALG: 'EdDSA' } })
    const { token } = await withUser(testApp)
    assert.equal(
      JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).alg,
      'EdDSA',
    )
    assert.equal((await getMe(testApp.app, `Bearer ${token}`)).statusCode, 200)
  })
})
