// RFC 7515 §2 / RFC 4648 §5: the base64url alphabet, in value order.
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const alphabetOnly = /^[A-Za-z0-9_-]*$/

/**
 * Whether `segment` is canonical unpadded base64url (RFC 7515 §2, RFC 4648 §3.5): only the
 * characters `A-Z a-z 0-9 - _`, no `=` padding, no whitespace, a length that is not 1 more than
 * a multiple of 4 (no byte count encodes to that), and a last character whose unused low bits
 * are zero. Exactly one string passes for each byte sequence, so a string-keyed cache can never
 * hold two spellings of one token.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!alphabetOnly.test(segment)) return false
  const tail = segment.length % 4
  if (tail === 0) return true
  if (tail === 1) return false
  // Two trailing characters carry one byte (4 bits unused), three carry two (2 bits unused).
  const unusedBits = tail === 2 ? 0b1111 : 0b11
  return (alphabet.indexOf(segment.charAt(segment.length - 1)) & unusedBits) === 0
}

/**
 * Whether `token` is a JWS in the compact serialization (RFC 7515 §7.1) spelled canonically:
 * exactly three segments, a non-empty header and payload, each segment canonical base64url
 * (see {@link isCanonicalBase64url}). JOSE libraries decode leniently (padding, `+`, `/`,
 * stray bits), so a token that fails this must be refused before it is decoded or looked up in
 * a cache: otherwise one signed token has many accepted spellings.
 *
 * The one check shared by the Portcullis server and `portcullis/verify`.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.')
  if (segments.length !== 3) return false
  const [header, payload, signature] = segments as [string, string, string]
  return (
    header !== '' &&
    payload !== '' &&
    isCanonicalBase64url(header) &&
    isCanonicalBase64url(payload) &&
    isCanonicalBase64url(signature)
  )
}
