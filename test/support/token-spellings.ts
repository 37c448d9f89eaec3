const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The same signature bytes with its last character's unused low bits set: a lenient decoder
 * (atob, Buffer) reads it as the original, RFC 7515 §2 base64url does not allow it.
 */
export function withStrayBits(token: string): string {
  const signature = token.slice(token.lastIndexOf('.') + 1)
  const tail = signature.length % 4
  if (tail !== 2 && tail !== 3)
    throw new Error(`signature length ${signature.length} has no spare bits`)
  const last = alphabet.indexOf(signature.charAt(signature.length - 1))
  const stray = alphabet.charAt(last | 1)
  if (stray === signature.charAt(signature.length - 1)) throw new Error('bit already set')
  return `${token.slice(0, -1)}${stray}`
}

/**
 * Non-canonical spellings of a compact JWS that a lenient base64url decoder may read as the same
 * token, by what is wrong with them. `token` must contain both `-` and `_` (see
 * {@link hasBothUrlSymbols}) so that the `+` and `/` spellings exist.
 */
export function nonCanonicalSpellings(token: string): Record<string, string> {
  const dot = token.lastIndexOf('.')
  if (!token.includes('-') || !token.includes('_')) throw new Error('token lacks - or _')
  return {
    'padded with ==': `${token}==`,
    'padded with =': `${token}=`,
    '+ instead of -': token.replace('-', '+'),
    '/ instead of _': token.replace('_', '/'),
    'nonzero unused bits in the last character': withStrayBits(token),
    'a length of 1 mod 4 in the signature': `${token}${'A'.repeat((5 - ((token.length - dot - 1) % 4)) % 4)}`,
  }
}

/**
 * Non-canonical spellings outside the RFC 6750 §2.1 b64token syntax (whitespace, padding before
 * the end), which a Bearer header cannot carry but a form parameter (`/introspect`) can.
 */
export function nonB64tokenSpellings(token: string): Record<string, string> {
  const dot = token.lastIndexOf('.')
  return {
    'padding in the payload': `${token.slice(0, dot)}=${token.slice(dot)}`,
    'a space inside the signature': `${token.slice(0, dot + 5)} ${token.slice(dot + 5)}`,
    'a newline inside the signature': `${token.slice(0, dot + 5)}\n${token.slice(dot + 5)}`,
    'a trailing space': `${token} `,
    'a trailing tab': `${token}\t`,
  }
}

/** Whether a token has both `-` and `_`, so that {@link nonCanonicalSpellings} can swap them. */
export const hasBothUrlSymbols = (token: string) => token.includes('-') && token.includes('_')

/** Calls `make` until its token has both `-` and `_` (nearly always at once; bounded). */
export async function tokenWithBothUrlSymbols(make: () => Promise<string>): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const token = await make()
    if (hasBothUrlSymbols(token)) return token
  }
  throw new Error('no token with both - and _ in 50 tries')
}
