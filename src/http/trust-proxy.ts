import { isIP } from 'node:net'

/**
 * Which peers may set the client address through `X-Forwarded-For`: nobody (`false`), the
 * nearest N hops whoever they are (a number), or proxies at the listed addresses and CIDRs.
 */
export type TrustProxy = false | number | string[]

// Named ranges that proxy-addr (Fastify's resolver) understands.
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal'])

function validEntry(entry: string): boolean {
  if (namedRanges.has(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (rest.length > 0 || family === 0 || address.includes('%')) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

/**
 * Parses PORTCULLIS_TRUST_PROXY: unset, empty, `false` or `0` trust nobody; an integer is a hop
 * count; anything else is a comma-separated list of IPv4/IPv6 addresses, CIDRs or the names
 * `loopback`, `linklocal`, `uniquelocal`. Throws an Error whose message completes
 * "PORTCULLIS_TRUST_PROXY …".
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? ''
  if (value === '' || value === 'false' || value === '0') return false
  if (value === 'true') {
    throw new Error(
      'no longer accepts "true" (that trusted every peer, so anyone could choose their IP): list your proxies\' addresses or CIDRs, e.g. 10.0.0.0/8, or give a hop count',
    )
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > 20) throw new Error(`hop count must be from 0 to 20 (got "${value}")`)
    return hops
  }
  const entries = value.split(',').map((entry) => entry.trim())
  const bad = entries.find((entry) => !validEntry(entry))
  if (bad !== undefined) {
    throw new Error(
      `must be false, a hop count, or comma-separated IP addresses/CIDRs (bad entry "${bad}")`,
    )
  }
  return entries
}

/** The value for Fastify's `trustProxy` option (proxy-addr semantics). */
export function fastifyTrustProxy(
  setting: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting
  // Fastify 5 refuses a bare number (it fails closed); a function restores the hop count,
  // trusting the socket peer and the next `setting - 1` X-Forwarded-For entries.
  return (_address, hop) => hop < setting
}
