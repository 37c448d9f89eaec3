import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue } from './cookies.js'

/**
 * The cookie of the provider's browser session (the login of the hosted pages). `HttpOnly`;
 * `SameSite=Lax`, so it goes with the top-level navigation a client's sign-in link makes to
 * `/authorize` (single sign-on) but never with a cross-site POST or a subresource; host-only
 * (no `Domain`) and `Path=/`; under https `Secure` and `__Host-` prefixed, so neither a sibling
 * subdomain nor a plain-http response can plant or overwrite it (RFC 6265bis §4.1.3.2). Its
 * value is 256 random bits; the server keeps only their SHA-256.
 */
export class BrowserSessionCookie {
  readonly name: string
  private readonly attributes: string

  /** `secure`: the server is reached over https (its issuer is an https URL). */
  constructor(secure: boolean) {
    this.name = secure ? '__Host-portcullis-session' : 'portcullis-session'
    this.attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
  }

  /** The cookie the request carries (exactly once), or null. */
  read(request: FastifyRequest): string | null {
    return cookieValue(request, this.name)
  }

  /** Sets the cookie to `value` for the browser session's life (a session cookie: no Max-Age). */
  set(reply: FastifyReply, value: string): void {
    reply.header('set-cookie', `${this.name}=${value}; ${this.attributes}`)
  }

  /** Tells the browser to drop the cookie (logout). */
  clear(reply: FastifyReply): void {
    reply.header('set-cookie', `${this.name}=; ${this.attributes}; Max-Age=0`)
  }
}
