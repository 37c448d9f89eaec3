import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue } from './cookies.js'

// Chromium keeps no cookie longer than 400 days (RFC 6265bis §5.5).
const maxAgeSeconds = 400 * 86400

/**
 * The hosted login page's `device_token` (the login throttle's proof that this browser signed in
 * to the account before), kept as a cookie because a browser has no other place for it: with it,
 * the page is throttled exactly as `POST /token` with `device_token`, so an attacker hammering
 * an account from elsewhere cannot lock its owner out of the page. `HttpOnly`,
 * `SameSite=Strict` (only the page's own form POST needs it), host-only, `Path=/login`; under
 * https `Secure` (a `__Host-` cookie must have `Path=/`, so this one is `__Secure-`).
 */
export class DeviceCookie {
  readonly name: string
  private readonly attributes: string

  /** `secure`: the server is reached over https (its issuer is an https URL). */
  constructor(secure: boolean) {
    this.name = secure ? '__Secure-portcullis-device' : 'portcullis-device'
    this.attributes = `Path=/login; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
  }

  /** The device token the request carries (exactly once), or undefined. */
  read(request: FastifyRequest): string | undefined {
    return cookieValue(request, this.name) ?? undefined
  }

  set(reply: FastifyReply, token: string): void {
    reply.header('set-cookie', `${this.name}=${token}; ${this.attributes}`)
  }
}
