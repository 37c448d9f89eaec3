import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose'

/** A signing key of a fake issuer: its public JWK carries kid, alg and use. */
export interface TestKey {
  kid: string
  alg: 'ES256' | 'EdDSA'
  privateKey: CryptoKey
  publicJwk: JWK
}

export const ISSUER = 'http://issuer.test'
export const AUDIENCE = 'notes-api'
/** The fixed "now" of the unit tests, in seconds; the verifier's clock is injected. */
export const NOW = 1_700_000_000
export const clockAt = (seconds: number) => () => seconds * 1000

export async function makeKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<TestKey> {
  const pair = await generateKeyPair(alg, { extractable: true })
  const { kty, crv, x, y } = await exportJWK(pair.publicKey)
  const jwk: JWK = y === undefined ? { kty, crv, x } : { kty, crv, x, y }
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } }
}

/** Claims as Portcullis puts them in an access token, issued at NOW for 15 minutes. */
export function portcullisClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    iat: NOW,
    exp: NOW + 900,
    jti: 'b7c1a1de-5d0b-4c8e-9f8e-0a4b1e1d2c3f',
    client_id: 'portcullis',
    scope: 'profile notes:read',
    sid: 'session-1',
    amr: ['pwd', 'otp', 'mfa'],
    auth_time: NOW - 120,
    ...overrides,
  }
}

/** Signs `claims` (undefined members are dropped) with `key`; the header may be overridden. */
export function sign(
  key: TestKey,
  claims: JWTPayload = portcullisClaims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })
    .sign(key.privateKey)
}

export const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

/** A JWKS endpoint on 127.0.0.1 that counts its requests; its keys and status can change. */
export interface JwksServer {
  url: string
  requests: number
  keys: JWK[]
  status: number
}

export async function startJwksServer(t: TestContext, keys: TestKey[]): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    requests: 0,
    keys: keys.map((k) => k.publicJwk),
    status: 200,
  }
  const server = createServer((_req, res) => {
    state.requests++
    res.writeHead(state.status, { 'content-type': 'application/jwk-set+json' })
    res.end(JSON.stringify({ keys: state.keys }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  return state
}
