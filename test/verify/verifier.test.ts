import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createVerifier,
  type JwksVerifierOptions,
  type VerifierOptions,
  VerifyError,
} from '../../src/verify/index.js'
import { assertInvalidToken } from './assertions.js'
import {
  AUDIENCE,
  b64url,
  clockAt,
  ISSUER,
  makeKey,
  NOW,
  portcullisClaims,
  sign,
  startJwksServer,
} from './jwks-server.js'

type Extra = Partial<Omit<JwksVerifierOptions, 'jwksUrl' | 'secret'>>

const verifierFor = (jwksUrl: string, extra: Extra = {}) =>
  createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl,
    now: clockAt(NOW + 1),
    ...extra,
  } as VerifierOptions)

describe('createVerifier with a JWKS', () => {
  it('accepts a Portcullis token (ES256 and EdDSA) and returns frozen, typed claims', async (t) => {
    const es = await makeKey('ES256')
    const ed = await makeKey('EdDSA')
    const jwks = await startJwksServer(t, [es, ed])
    const verifier = verifierFor(jwks.url)
    const claims = await verifier.verify(await sign(es))
    assert.equal(claims.sub, 'user-1')
    assert.equal(claims.scope, 'profile notes:read')
    assert.equal(claims.client_id, 'portcullis')
    assert.equal(claims.sid, 'session-1')
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(claims.auth_time, NOW - 120)
    assert.ok(Object.isFrozen(claims))
    assert.equal((await verifier.verify(await sign(ed))).sub, 'user-1')
  })

  it('rejects an expired token, and honours clockTolerance', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const token = await sign(key)
    const late = verifierFor(jwks.url, { now: clockAt(NOW + 900) })
    await assertInvalidToken(late.verify(token), /expired/)
    const lenient = verifierFor(jwks.url, { now: clockAt(NOW + 905), clockTolerance: 10 })
    assert.equal((await lenient.verify(token)).sub, 'user-1')
  })

  it('rejects a token living longer than maxTokenAge (default one day), even if signed by a trusted key', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    // A token forged with a leaked key: valid signature, exp in 2100.
    const forged = await sign(key, portcullisClaims({ exp: 4_102_444_800 }))
    await assertInvalidToken(verifierFor(jwks.url).verify(forged), /lifetime/)
    const oneDay = await sign(key, portcullisClaims({ exp: NOW + 86_400 }))
    assert.equal((await verifierFor(jwks.url).verify(oneDay)).sub, 'user-1')
    const dayAndASecond = await sign(key, portcullisClaims({ exp: NOW + 86_401 }))
    await assertInvalidToken(verifierFor(jwks.url).verify(dayAndASecond), /lifetime/)
    const strict = verifierFor(jwks.url, { maxTokenAge: 900 })
    assert.equal((await strict.verify(await sign(key))).sub, 'user-1')
    const long = await sign(key, portcullisClaims({ exp: NOW + 901 }))
    await assertInvalidToken(strict.verify(long), /lifetime/)
    for (const maxTokenAge of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => verifierFor(jwks.url, { maxTokenAge }), TypeError)
    }
  })

  it('rejects a token whose nbf is in the future', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const token = await sign(key, portcullisClaims({ nbf: NOW + 60 }))
    await assertInvalidToken(verifierFor(jwks.url).verify(token), /not valid yet/)
  })

  it('rejects another issuer, another audience and another typ', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url)
    await assertInvalidToken(
      verifier.verify(await sign(key, portcullisClaims({ iss: 'http://evil.test' }))),
      / iss claim/,
    )
    await assertInvalidToken(
      verifier.verify(await sign(key, portcullisClaims({ aud: 'billing-api' }))),
      / aud claim/,
    )
    await assertInvalidToken(verifier.verify(await sign(key, portcullisClaims(), { typ: 'JWT' })))
    await assertInvalidToken(
      verifier.verify(await sign(key, portcullisClaims(), { typ: undefined })),
    )
  })

  it('rejects alg none without fetching the JWKS', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const header = b64url(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: key.kid }))
    const token = `${header}.${b64url(JSON.stringify(portcullisClaims()))}.`
    await assertInvalidToken(verifierFor(jwks.url).verify(token), /algorithm/)
    assert.equal(jwks.requests, 0)
  })

  it('rejects an HS256 token forged with the public key as the secret', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url)
    const { createHmac } = await import('node:crypto')
    const secrets = [JSON.stringify(key.publicJwk), key.publicJwk.x as string]
    for (const secret of secrets) {
      const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }))
      const input = `${header}.${b64url(JSON.stringify(portcullisClaims()))}`
      const mac = createHmac('sha256', secret).update(input).digest('base64url')
      await assertInvalidToken(verifier.verify(`${input}.${mac}`), /algorithm/)
    }
  })

  it('rejects a token signed by an unknown key, named or claiming a known kid', async (t) => {
    const known = await makeKey()
    const stranger = await makeKey()
    const jwks = await startJwksServer(t, [known])
    const verifier = verifierFor(jwks.url)
    await assertInvalidToken(verifier.verify(await sign(stranger)), /unknown key/)
    await assertInvalidToken(
      verifier.verify(await sign(stranger, portcullisClaims(), { kid: known.kid })),
      /signature/,
    )
  })

  for (const name of ['jku', 'x5u', 'jwk', 'x5c', 'x5t']) {
    it(`rejects a token carrying a ${name} header and never follows it`, async (t) => {
      const key = await makeKey()
      const jwks = await startJwksServer(t, [key])
      const attacker = await startJwksServer(t, [key])
      const values: Record<string, unknown> = {
        jku: attacker.url,
        x5u: attacker.url,
        jwk: key.publicJwk,
        x5c: ['MIIB'],
        x5t: 'AAAA',
      }
      const token = await sign(key, portcullisClaims(), { [name]: values[name] })
      await assertInvalidToken(verifierFor(jwks.url).verify(token), new RegExp(name))
      assert.equal(attacker.requests, 0)
      assert.equal(jwks.requests, 0)
    })
  }

  for (const claim of ['sub', 'exp', 'iat', 'jti', 'client_id', 'scope', 'iss', 'aud']) {
    it(`rejects a token without ${claim}`, async (t) => {
      const key = await makeKey()
      const jwks = await startJwksServer(t, [key])
      const token = await sign(key, portcullisClaims({ [claim]: undefined }))
      await assertInvalidToken(verifierFor(jwks.url).verify(token), new RegExp(claim))
    })
  }

  it('rejects claims of the wrong type (numeric sub, array scope)', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url)
    await assertInvalidToken(
      verifier.verify(await sign(key, portcullisClaims({ sub: 42 } as never))),
    )
    await assertInvalidToken(
      verifier.verify(await sign(key, portcullisClaims({ scope: ['notes:read'] }))),
      /scope/,
    )
    for (const amr of ['pwd', ['pwd', 7], {}]) {
      await assertInvalidToken(verifier.verify(await sign(key, portcullisClaims({ amr }))), /amr/)
    }
    for (const auth_time of ['1780000000', 1780000000.5]) {
      await assertInvalidToken(
        verifier.verify(await sign(key, portcullisClaims({ auth_time }))),
        /auth_time/,
      )
    }
  })

  it('accepts a token without amr and auth_time (a client_credentials token has neither)', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const claims = await verifierFor(jwks.url).verify(
      await sign(key, portcullisClaims({ amr: undefined, auth_time: undefined })),
    )
    assert.deepEqual([claims.amr, claims.auth_time], [undefined, undefined])
  })

  it('rejects a token whose payload was tampered with', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const [header, , signature] = (await sign(key)).split('.')
    const payload = b64url(JSON.stringify(portcullisClaims({ sub: 'user-2' })))
    await assertInvalidToken(
      verifierFor(jwks.url).verify(`${header}.${payload}.${signature}`),
      /signature/,
    )
  })

  it('rejects malformed tokens: bad base64, bad JSON, JWE, too long, not a string', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url)
    const [header, payload, signature] = (await sign(key)).split('.')
    const malformed = [
      '',
      'abc',
      `${header}.${payload}`,
      `${header}!.${payload}.${signature}`,
      `${b64url('{"alg":')}.${payload}.${signature}`,
      `${header}.${b64url('not json')}.${signature}`,
      `${header}.${payload}.${signature}.x.y`,
      `${header}.${payload}.${'A'.repeat(20_000)}`,
    ]
    for (const token of malformed)
      await assertInvalidToken(verifier.verify(token), /malformed|signature/)
    await assertInvalidToken(verifier.verify(42 as unknown as string), /malformed/)
  })

  it('rejects a token without kid', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const token = await sign(key, portcullisClaims(), { kid: undefined })
    await assertInvalidToken(verifierFor(jwks.url).verify(token), /kid/)
  })

  it('names the configured realm in its challenges', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url, { realm: 'notes "v2"' })
    const error = await assertInvalidToken(verifier.verify('abc'), undefined, 'notes \\\\"v2\\\\"')
    assert.equal(error.realm, 'notes "v2"')
  })
})

describe('the JWKS cache', () => {
  it('fetches lazily, once, for many verifications (also concurrent ones)', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = verifierFor(jwks.url)
    assert.equal(jwks.requests, 0, 'creating a verifier fetches nothing')
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sign(key, portcullisClaims({ sub: `user-${i}` }))),
    )
    const claims = await Promise.all(tokens.map((token) => verifier.verify(token)))
    assert.deepEqual(
      claims.map((c) => c.sub),
      tokens.map((_, i) => `user-${i}`),
    )
    for (const token of tokens) await verifier.verify(token)
    assert.equal(jwks.requests, 1)
  })

  it('fetches again on an unknown kid once the cooldown has passed (a rotated key)', async (t) => {
    const old = await makeKey()
    const rotated = await makeKey()
    const jwks = await startJwksServer(t, [old])
    const verifier = verifierFor(jwks.url, { cooldownMs: 0 })
    await verifier.verify(await sign(old))
    jwks.keys = [old.publicJwk, rotated.publicJwk]
    assert.equal((await verifier.verify(await sign(rotated))).sub, 'user-1')
    assert.equal(jwks.requests, 2)
    await verifier.verify(await sign(old))
    assert.equal(jwks.requests, 2, 'known kids are served from the cache')
  })

  it('does not fetch again within the cooldown, whatever kids tokens name', async (t) => {
    const old = await makeKey()
    const rotated = await makeKey()
    const jwks = await startJwksServer(t, [old])
    const verifier = verifierFor(jwks.url, { cooldownMs: 60_000 })
    await verifier.verify(await sign(old))
    jwks.keys = [old.publicJwk, rotated.publicJwk]
    for (let i = 0; i < 5; i++) {
      await assertInvalidToken(verifier.verify(await sign(rotated)), /unknown key/)
    }
    assert.equal(jwks.requests, 1)
  })

  it('answers 503 temporarily_unavailable when the JWKS cannot be fetched', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    jwks.status = 500
    const error = await verifierFor(jwks.url)
      .verify(await sign(key))
      .catch((e: unknown) => e)
    assert.ok(error instanceof VerifyError)
    assert.equal(error.code, 'temporarily_unavailable')
    assert.equal(error.status, 503)
  })

  it('uses the injected fetch', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const seen: string[] = []
    const verifier = verifierFor(jwks.url, {
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        seen.push(String(input))
        return fetch(input, init)
      },
    } as Extra)
    await verifier.verify(await sign(key))
    assert.deepEqual(seen, [jwks.url])
  })
})
