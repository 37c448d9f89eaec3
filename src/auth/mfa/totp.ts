import { Secret, TOTP } from 'otpauth'

/**
 * RFC 6238 with the parameters every authenticator app accepts: HMAC-SHA-1, 6 digits, 30-second
 * steps (§4, §5.2). Changing them would break every enrolled app, so they are fixed here.
 */
const parameters = { algorithm: 'SHA1', digits: 6, period: 30 } as const

/** A new shared secret: 160 random bits (RFC 4226 §4 R6), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** Whether `code` has the shape of a TOTP code (6 digits, spaces ignored). */
export const totpShape = (code: string): string | null => {
  const compact = code.replace(/\s+/g, '')
  return /^\d{6}$/.test(compact) ? compact : null
}

/** The RFC 6238 time step of `ms` (unix time / 30 s). */
export const totpStep = (ms: number): number =>
  TOTP.counter({ period: parameters.period, timestamp: ms })

/**
 * The time step `code` belongs to when it is the code of `secret` at `ms` or one step either
 * side (RFC 6238 §5.2: one step of clock drift and transmission delay); null otherwise. The
 * caller still has to accept the step once (the replay guard).
 */
export function matchTotp(secret: string, code: string, ms: number): number | null {
  const delta = TOTP.validate({
    ...parameters,
    secret: Secret.fromBase32(secret),
    token: code,
    timestamp: ms,
    window: 1,
  })
  return delta === null ? null : totpStep(ms) + delta
}

/** The code of `secret` at `ms` (for tests and tools: the server never needs to show one). */
export function totpCode(secret: string, ms: number): string {
  return TOTP.generate({ ...parameters, secret: Secret.fromBase32(secret), timestamp: ms })
}

/**
 * The `otpauth://totp/...` URI an authenticator app scans (Key Uri Format): the issuer is the
 * product name and the label the username, so the app shows "Product (username)".
 */
export function totpUri(secret: string, issuer: string, label: string): string {
  return new TOTP({ ...parameters, issuer, label, secret: Secret.fromBase32(secret) }).toString()
}

/**
 * The URI as an inline SVG QR code (no image request, nothing sent to a third party). The
 * encoder is loaded by the first enrolment, not at start.
 */
export async function qrSvg(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode')
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}
