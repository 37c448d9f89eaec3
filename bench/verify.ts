import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createVerifier } from '../src/verify/index.js'

const TOKENS = 3000
const ISSUER = 'http://issuer.bench'
const AUDIENCE = 'bench-api'

export interface VerifyRates {
  coldPerSecond: number
  warmPerSecond: number
}

/**
 * The verifier library (`portcullis/verify`) in this process against a JWKS on loopback:
 * `cold` verifies tokens it has never seen (signature and claims, keys already fetched), `warm`
 * verifies the same tokens again (served by its bounded cache, expiry re-checked).
 */
export async function measureVerifier(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<VerifyRates> {
  const { publicKey, privateKey } = await generateKeyPair(alg)
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(JSON.stringify({ keys: [{ ...jwk, kid, alg, use: 'sig' }] }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
    const now = Math.floor(Date.now() / 1000)
    const tokens = await Promise.all(
      Array.from({ length: TOKENS + 1 }, (_, i) =>
        new SignJWT({ client_id: 'c', scope: 'notes:read', sid: 's' })
          .setProtectedHeader({ alg, typ: 'at+jwt', kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject(`user-${i}`)
          .setIssuedAt(now)
          .setExpirationTime(now + 900)
          .setJti(`jti-${i}`)
          .sign(privateKey),
      ),
    )
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: url })
    await verifier.verify(tokens[TOKENS] ?? '') // fetches the JWKS once
    const rate = async () => {
      const started = process.hrtime.bigint()
      for (const token of tokens.slice(0, TOKENS)) await verifier.verify(token)
      return TOKENS / (Number(process.hrtime.bigint() - started) / 1e9)
    }
    const coldPerSecond = await rate()
    const warmPerSecond = await rate()
    return { coldPerSecond, warmPerSecond }
  } finally {
    server.close()
  }
}
