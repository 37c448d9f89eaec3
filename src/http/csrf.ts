import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue } from './cookies.js'

/** The form field that carries the value the cookie also carries. */
export const csrfField = 'csrf'

// 256 random bits, base64url: 43 characters.
const valuePattern = /^[A-Za-z0-9_-]{43}$/

/**
 * Double-submit CSRF protection of the hosted pages' forms (OWASP CSRF Prevention Cheat Sheet,
 * "double submit cookie"): the page sets a random value in a cookie and writes the same value
 * into a hidden field; a POST is accepted only when both arrive and are equal. A cross-site form
 * cannot read the cookie to copy it, and `SameSite=Lax` keeps the browser from sending it on a
 * cross-site POST at all. Lax, not Strict: a sign-in that starts on another site (a client's
 * link to `/authorize`, then `/login`) must carry the value already held, or a second tab
 * would mint a new one and refuse the first tab's form. Over https the cookie is `__Host-` prefixed and `Secure`, so a
 * sibling subdomain or a plain-http response cannot plant a value of its choosing.
 */
export class DoubleSubmitCsrf {
  readonly cookieName: string
  private readonly attributes: string

  /** `secure`: the server is reached over https (its issuer is an https URL). */
  constructor(secure: boolean) {
    this.cookieName = secure ? '__Host-portcullis-csrf' : 'portcullis-csrf'
    this.attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
  }

  /**
   * The value for a page's form, set in the cookie on `reply`. A well-formed value the browser
   * already holds is kept, so two tabs of the same browser do not refuse each other's forms.
   */
  issue(request: FastifyRequest, reply: FastifyReply): string {
    const held = this.cookieValue(request)
    const value =
      held !== null && valuePattern.test(held) ? held : randomBytes(32).toString('base64url')
    reply.header('set-cookie', `${this.cookieName}=${value}; ${this.attributes}`)
    return value
  }

  /** True when the cookie and the form field are both present and equal (constant time). */
  check(request: FastifyRequest, field: unknown): boolean {
    const held = this.cookieValue(request)
    if (held === null || typeof field !== 'string') return false
    if (!valuePattern.test(held) || !valuePattern.test(field)) return false
    return timingSafeEqual(Buffer.from(held), Buffer.from(field))
  }

  private cookieValue(request: FastifyRequest): string | null {
    return cookieValue(request, this.cookieName)
  }
}
