import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  bearerTokenOf,
  createVerifier,
  type RequestLike,
  VerifyError,
  verifyRequest,
} from '../../src/verify/index.js'
import { AUDIENCE, clockAt, ISSUER, makeKey, NOW, sign, startJwksServer } from './jwks-server.js'

const node = (...pairs: string[]): RequestLike => {
  const headers: Record<string, string> = {}
  for (let i = 0; i < pairs.length; i += 2)
    headers[(pairs[i] as string).toLowerCase()] ??= pairs[i + 1] as string
  return { headers, rawHeaders: pairs }
}

function refusal(request: RequestLike): VerifyError {
  try {
    bearerTokenOf(request, 'notes')
  } catch (error) {
    assert.ok(error instanceof VerifyError)
    return error
  }
  assert.fail('expected a refusal')
}

describe('bearerTokenOf', () => {
  it('reads one Bearer header, the scheme in any case', () => {
    assert.equal(bearerTokenOf(node('Authorization', 'Bearer abc.def.ghi')), 'abc.def.ghi')
    assert.equal(bearerTokenOf(node('authorization', 'bEaReR abc.def-_')), 'abc.def-_')
    assert.equal(bearerTokenOf({ headers: { authorization: 'Bearer x.y.z' } }), 'x.y.z')
    assert.equal(
      bearerTokenOf({ headers: new Headers({ Authorization: 'BEARER x.y.z' }) }),
      'x.y.z',
    )
    assert.equal(
      bearerTokenOf({
        headers: { authorization: 'Bearer x.y.z' },
        raw: { rawHeaders: ['Authorization', 'Bearer x.y.z'] },
      }),
      'x.y.z',
    )
  })

  it('answers 401 with the bare challenge when there is no header or another scheme', () => {
    for (const request of [node(), node('Authorization', 'Basic dXNlcjpwYXNz')]) {
      const error = refusal(request)
      assert.equal(error.code, 'unauthorized')
      assert.equal(error.status, 401)
      assert.equal(error.wwwAuthenticate, 'Bearer realm="notes"')
    }
  })

  it('answers 400 invalid_request for a repeated or malformed header', () => {
    const requests = [
      node('Authorization', 'Bearer a.b.c', 'authorization', 'Bearer d.e.f'),
      {
        headers: new Headers([
          ['authorization', 'Bearer a.b.c'],
          ['authorization', 'Bearer d.e.f'],
        ]),
      },
      node('Authorization', 'Bearer'),
      node('Authorization', 'Bearer a b'),
      node('Authorization', 'Bearer a,b'),
      node('Authorization', ''),
    ]
    for (const request of requests) {
      const error = refusal(request)
      assert.equal(error.code, 'invalid_request', JSON.stringify(request))
      assert.equal(error.status, 400)
      assert.match(error.wwwAuthenticate, /^Bearer realm="notes", error="invalid_request"/)
    }
  })
})

describe('verifyRequest', () => {
  it('verifies the bearer token of a request, in the verifier realm', async (t) => {
    const key = await makeKey()
    const jwks = await startJwksServer(t, [key])
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      now: clockAt(NOW),
    })
    const token = await sign(key)
    assert.equal(
      (await verifyRequest(verifier, node('Authorization', `Bearer ${token}`))).sub,
      'user-1',
    )
    const missing = await verifyRequest(verifier, node()).catch((e: unknown) => e)
    assert.ok(missing instanceof VerifyError)
    assert.equal(missing.wwwAuthenticate, `Bearer realm="${AUDIENCE}"`)
    const bad = await verifyRequest(verifier, node('Authorization', 'Bearer a.b.c')).catch(
      (e: unknown) => e,
    )
    assert.ok(bad instanceof VerifyError)
    assert.equal(bad.code, 'invalid_token')
  })
})
