import { Counter, type Registry } from 'prom-client'
import { type TokenGrantType, tokenGrantTypes } from '../auth/grants/token-grants.js'

/**
 * The token counters: `portcullis_tokens_issued_total{grant_type}` (a token response of the
 * token endpoint; the MFA grant's URN is labelled `mfa`), `portcullis_refresh_rotations_total`
 * (a refresh token spent for its successor) and `portcullis_refresh_reuse_detections_total` (a
 * spent refresh token presented again: its session was revoked, RFC 9700 §4.14.2). Every series
 * exists from the start at 0.
 */
export function tokenMetrics(registry: Registry) {
  const issued = new Counter({
    name: 'portcullis_tokens_issued_total',
    help: 'Token responses of the token endpoint, by grant type.',
    labelNames: ['grant_type'] as const,
    registers: [registry],
  })
  const byGrant = new Map<TokenGrantType, () => void>()
  for (const type of tokenGrantTypes) {
    const child = issued.labels(type.startsWith('urn:') ? 'mfa' : type)
    child.inc(0)
    byGrant.set(type, () => child.inc())
  }
  const rotations = new Counter({
    name: 'portcullis_refresh_rotations_total',
    help: 'Refresh tokens spent for a successor (the refresh grant).',
    registers: [registry],
  })
  const reuse = new Counter({
    name: 'portcullis_refresh_reuse_detections_total',
    help: 'Spent refresh tokens presented again; each revoked its session.',
    registers: [registry],
  })
  return {
    issued: (type: TokenGrantType) => byGrant.get(type)?.(),
    rotated: () => rotations.inc(),
    reused: () => reuse.inc(),
  }
}
