import { isIP } from 'node:net'

/** The eight 16-bit groups of an IPv6 address (embedded dotted IPv4 tail allowed). */
function groups(ip: string): number[] {
  let text = ip.split('%')[0] ?? ''
  const tailStart = text.lastIndexOf(':') + 1
  const tail = text.slice(tailStart)
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number)
    text = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = rest === undefined ? [] : parse(rest)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/** RFC 5952 text of eight groups: lowercase, longest run of two or more zero groups as `::`. */
function format(g: number[]): string {
  let best = -1
  let bestLength = 1
  for (let i = 0; i < 8; i++) {
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
    i = j > i ? j - 1 : i
  }
  const hex = g.map((n) => n.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`
}

/**
 * The bucket a client address counts against in rate limits: an IPv4 address as is (an
 * IPv4-mapped IPv6 address such as `::ffff:192.0.2.1` as its IPv4 form), and an IPv6 address
 * as its /64 network (`2001:db8:1:2::/64`), since one subscriber usually holds a whole /64 and
 * could otherwise rotate through 2^64 addresses. Anything that is not an IP is returned unchanged.
 */
export function clientKey(ip: string): string {
  const family = isIP(ip)
  if (family === 4) return ip
  if (family !== 6) return ip
  const g = groups(ip)
  if (g.slice(0, 5).every((n) => n === 0) && g[5] === 0xffff) {
    const [hi = 0, lo = 0] = g.slice(6)
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return `${format([...g.slice(0, 4), 0, 0, 0, 0])}/64`
}
